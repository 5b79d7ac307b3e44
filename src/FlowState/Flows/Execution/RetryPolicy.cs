using Polly;
using Polly.Retry;

namespace FlowState.Flows;

/// <summary>
/// How often and how patiently exec is retried before its fallback runs: a Polly retry strategy built from a node's
/// settings, once per clock (a runner's <see cref="TimeProvider"/>, so fake time drives the waits in tests).
/// </summary>
internal sealed record RetryPolicy(int MaxRetries, TimeSpan Delay, DelayBackoffType Backoff, TimeSpan MaxDelay, bool Jitter, Func<Exception, bool>? RetryOn)
{
    // Polly refuses longer delays when the pipeline is built; a node refuses them when it is configured.
    private static readonly TimeSpan LongestDelay = TimeSpan.FromDays(1);

    private static readonly ResiliencePropertyKey<IRetryListener> ListenerKey = new("flowstate.exec-attempts");

    // A reference, so that runs on several threads read it whole; a race builds one pipeline twice, harmlessly.
    private BuiltPipeline? _built;

    // A changed copy (with) must build its own pipeline.
    private RetryPolicy(RetryPolicy original)
    {
        MaxRetries = original.MaxRetries;
        Delay = original.Delay;
        Backoff = original.Backoff;
        MaxDelay = original.MaxDelay;
        Jitter = original.Jitter;
        RetryOn = original.RetryOn;
    }

    /// <summary>No retry, no delay.</summary>
    public static RetryPolicy None { get; } = new(0, TimeSpan.Zero, DelayBackoffType.Constant, LongestDelay, false, null);

    public static int CheckRetries(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value;
    }

    public static TimeSpan CheckDelay(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, LongestDelay);
        return value;
    }

    public static DelayBackoffType CheckBackoff(DelayBackoffType value) =>
        Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The retry backoff is Constant, Linear or Exponential.");

    /// <summary>
    /// Runs <paramref name="exec"/> until it succeeds, <see cref="MaxRetries"/> retries failed, or it fails with an
    /// exception <see cref="RetryOn"/> does not retry; then its fallback with the last error. Cancellation of the run
    /// is never retried.
    /// </summary>
    public async ValueTask<T> ExecuteAsync<T, TAttempt>(TAttempt exec, TimeProvider time, CancellationToken cancellationToken)
        where TAttempt : IExecAttempt<T>
    {
        if (MaxRetries == 0)
        {
            try
            {
                return await exec.RunAsync(1).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return await exec.FallbackAsync(ex, 1).ConfigureAwait(false);
            }
        }

        var attempts = new Attempts<T, TAttempt>(exec);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(ListenerKey, attempts);
        try
        {
            return await PipelineFor(time).ExecuteAsync(static (_, a) => a.RunNextAsync(), context, attempts).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return await exec.FallbackAsync(ex, attempts.Number).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResiliencePipeline PipelineFor(TimeProvider time)
    {
        if (_built is { } built && ReferenceEquals(built.Time, time))
        {
            return built.Pipeline;
        }

        var retryOn = RetryOn;
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = MaxRetries,
                Delay = Delay,
                MaxDelay = MaxDelay >= LongestDelay ? null : MaxDelay,
                BackoffType = Backoff,
                UseJitter = Jitter,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex
                    && !args.Context.CancellationToken.IsCancellationRequested
                    && (retryOn is null || retryOn(ex))),
                OnRetry = args => args.Context.Properties.GetValue(ListenerKey, null!).RetryingAsync(args.Outcome.Exception!),
            })
            .Build();
        _built = new BuiltPipeline(time, pipeline);
        return pipeline;
    }

    private sealed record BuiltPipeline(TimeProvider Time, ResiliencePipeline Pipeline);

    private interface IRetryListener
    {
        ValueTask RetryingAsync(Exception exception);
    }

    /// <summary>Numbers the attempts of one exec (Polly does not hand the number to the callback).</summary>
    private sealed class Attempts<T, TAttempt>(TAttempt exec) : IRetryListener
        where TAttempt : IExecAttempt<T>
    {
        public int Number { get; private set; }

        public ValueTask<T> RunNextAsync() => exec.RunAsync(++Number);

        public ValueTask RetryingAsync(Exception exception) => exec.RetryingAsync(exception, Number);
    }
}
