namespace FlowState.Flows;

/// <summary>One exec to retry: implemented by structs so that the retry loop allocates nothing on the hot path.</summary>
internal interface IExecAttempt<T>
{
    ValueTask<T> RunAsync(int attempt);

    ValueTask<T> FallbackAsync(Exception exception, int attempt);

    /// <summary>Called when <paramref name="attempt"/> failed and exec runs again.</summary>
    ValueTask RetryingAsync(Exception exception, int attempt);
}
