namespace FlowState.Sqlite.Tests;

/// <summary>
/// A real backend whose writes, once <see cref="Hold"/> is called, wait at a gate until <see cref="Release"/>: the
/// test sees what a store and its writers do while the backend has not written yet. Reads pass through.
/// </summary>
internal sealed class HeldWritesBackend(IStateBackend inner) : DelegatingStateBackend(inner)
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _holding;
    private int _heldWrites;

    /// <summary>Completes when the first write after <see cref="Hold"/> reached the gate.</summary>
    public Task FirstHeld => _firstHeld.Task;

    /// <summary>How many writes (backend transactions) came after <see cref="Hold"/>.</summary>
    public int HeldWrites => Volatile.Read(ref _heldWrites);

    public void Hold() => _holding = true;

    public void Release() => _released.TrySetResult();

    public override async ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        if (_holding)
        {
            Interlocked.Increment(ref _heldWrites);
            _firstHeld.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
        }

        await base.ApplyAsync(changes, durability, cancellationToken);
    }
}
