namespace FlowState.Sqlite.Tests;

/// <summary>
/// A real backend whose writes, once <see cref="Hold"/> is called, wait at a gate until <see cref="Release"/>: the
/// test sees what a store and its writers do while the backend has not written yet. Reads pass through.
/// </summary>
internal sealed class HeldWritesBackend(IStateBackend inner) : IStateBackend
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _holding;
    private int _heldWrites;

    public string Description => inner.Description;

    /// <summary>Completes when the first write after <see cref="Hold"/> reached the gate.</summary>
    public Task FirstHeld => _firstHeld.Task;

    /// <summary>How many writes (backend transactions) came after <see cref="Hold"/>.</summary>
    public int HeldWrites => Volatile.Read(ref _heldWrites);

    public void Hold() => _holding = true;

    public void Release() => _released.TrySetResult();

    public ValueTask OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);

    public IAsyncEnumerable<BackendEntry> ScanAsync(string scopeKeyPrefix, CancellationToken cancellationToken) =>
        inner.ScanAsync(scopeKeyPrefix, cancellationToken);

    public ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken) =>
        inner.GetAsync(scopeKey, key, cancellationToken);

    public async ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        if (_holding)
        {
            Interlocked.Increment(ref _heldWrites);
            _firstHeld.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
        }

        await inner.ApplyAsync(changes, durability, cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
