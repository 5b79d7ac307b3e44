using Polly;
using Polly.Retry;

namespace FlowState;

/// <summary>
/// How backends retry reads that failed for a passing reason (a connection the server dropped, a timeout): three more
/// tries, 50 ms apart and growing exponentially, with jitter. Only reads: a commit that failed on a broken connection
/// may have been applied, so repeating it is the store's decision, not the backend's.
/// </summary>
public static class BackendReadRetry
{
    /// <summary>Retries after the first failed try.</summary>
    public const int MaxRetries = 3;

    /// <summary>The wait before the first retry (later ones grow exponentially, with jitter).</summary>
    public static TimeSpan FirstDelay { get; } = TimeSpan.FromMilliseconds(50);

    /// <summary>A Polly pipeline that retries the failures <paramref name="isTransient"/> accepts, calling <paramref name="onRetry"/> (the failure, the retry's number from 1, its wait) before each.</summary>
    public static ResiliencePipeline Create(Func<Exception, bool> isTransient, Action<Exception, int, TimeSpan> onRetry, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(isTransient);
        ArgumentNullException.ThrowIfNull(onRetry);
        return new ResiliencePipelineBuilder { TimeProvider = timeProvider ?? TimeProvider.System }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = MaxRetries,
                Delay = FirstDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && isTransient(ex)),
                OnRetry = args =>
                {
                    onRetry(args.Outcome.Exception!, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }
}
