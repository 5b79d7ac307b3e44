namespace FlowState.Sqlite.Tests;

/// <summary>Counts steps that ran, and completes <see cref="All"/> when <c>expected</c> of them did.</summary>
internal sealed class StepCounter(int expected)
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public Task All => _all.Task;

    public void Ran()
    {
        if (Interlocked.Increment(ref _count) == expected)
        {
            _all.TrySetResult();
        }
    }
}
