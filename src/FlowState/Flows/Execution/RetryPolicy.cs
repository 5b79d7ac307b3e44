namespace FlowState.Flows;

/// <summary>How often and how patiently exec is retried before its fallback runs.</summary>
internal readonly record struct RetryPolicy(int MaxRetries, TimeSpan Delay, double Backoff, TimeSpan MaxDelay)
{
    /// <summary>No retry, no delay.</summary>
    public static RetryPolicy None { get; } = new(0, TimeSpan.Zero, 1, TimeSpan.MaxValue);

    public static int CheckRetries(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value;
    }

    public static TimeSpan CheckDelay(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        return value;
    }

    public static double CheckBackoff(double value)
    {
        if (!double.IsFinite(value) || value < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "The retry backoff must be a finite number of at least 1.");
        }

        return value;
    }

    /// <summary>
    /// Runs <paramref name="exec"/> until it succeeds or <see cref="MaxRetries"/> retries failed, then its
    /// fallback with the last error. Cancellation of the run is never retried.
    /// </summary>
    public async ValueTask<T> ExecuteAsync<T, TAttempt>(TAttempt exec, TimeProvider time, CancellationToken cancellationToken)
        where TAttempt : IExecAttempt<T>
    {
        var delay = Delay;
        for (var number = 1; ; number++)
        {
            try
            {
                return await exec.RunAsync(number).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (number > MaxRetries)
                {
                    return await exec.FallbackAsync(ex, number).ConfigureAwait(false);
                }

                await exec.RetryingAsync(ex, number).ConfigureAwait(false);
            }

            if (delay > TimeSpan.Zero)
            {
                delay = delay > MaxDelay ? MaxDelay : delay;
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                var next = delay.Ticks * Backoff;
                delay = next >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)next);
            }
        }
    }
}
