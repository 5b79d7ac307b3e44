namespace FlowState.Testing;

/// <summary>
/// A real backend behind a test's hook: every call goes to <c>inner</c> unless a derived class changes it (a write
/// made to fail, a read or a write held at a gate).
/// </summary>
internal abstract class DelegatingStateBackend(IStateBackend inner) : IStateBackend
{
    public string Description => inner.Description;

    public virtual ValueTask OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);

    public virtual IAsyncEnumerable<BackendEntry> ScanAsync(string scopeKeyPrefix, CancellationToken cancellationToken) =>
        inner.ScanAsync(scopeKeyPrefix, cancellationToken);

    public virtual ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken) =>
        inner.GetAsync(scopeKey, key, cancellationToken);

    public virtual ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken) =>
        inner.ApplyAsync(changes, durability, cancellationToken);

    public virtual ValueTask DisposeAsync() => inner.DisposeAsync();
}
