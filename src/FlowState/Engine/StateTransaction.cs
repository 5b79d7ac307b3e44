namespace FlowState;

/// <summary>
/// Reads and writes over any scopes of one store that commit as one atomic batch. Reads see the committed state with
/// the transaction's own writes on top; writes wait for <see cref="CommitAsync"/>. A read-modify-write (update, merge,
/// a delete of an existing key) remembers the version it read, so if another writer changed that key meanwhile the
/// commit fails with <see cref="StateConflictException"/> and writes nothing: run the transaction again on fresh
/// state. Write methods of its stores return version 0 (the version is given at the commit).
/// </summary>
/// <remarks>Not thread-safe: use a transaction from one logical thread. A transaction that is never committed writes nothing.</remarks>
/// <example>
/// <code>
/// var tx = store.BeginTransaction();
/// var from = tx.For(StateScope.Custom("accounts"));
/// await from.UpdateAsync&lt;int&gt;("alice", n => n - 10);
/// await from.UpdateAsync&lt;int&gt;("bob", n => n + 10);
/// await tx.CommitAsync();   // both or neither
/// </code>
/// </example>
public sealed class StateTransaction
{
    private readonly StagedWrites _writes;
    private readonly IStateStoreRoot _root;

    /// <summary>Starts a transaction on <paramref name="store"/>.</summary>
    public StateTransaction(StateStore store)
        : this((IStateStoreRoot)store)
    {
    }

    /// <summary>A transaction on any root store (<see cref="SharedStateStore.BeginTransaction"/> starts one on shared state).</summary>
    internal StateTransaction(IStateStoreRoot store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _root = store;
        Store = store.For(StateScope.Global);
        _writes = new StagedWrites(store);
    }

    /// <summary>The store the transaction commits to (its global scope).</summary>
    public IStateStore Store { get; }

    /// <summary>The global scope, seen through the transaction.</summary>
    public IStateStore Global => For(StateScope.Global);

    /// <summary>Writes and version checks waiting for the commit.</summary>
    public int PendingOperations => _writes.Count;

    /// <summary>True once <see cref="CommitAsync"/> succeeded.</summary>
    public bool IsCommitted { get; private set; }

    /// <summary><paramref name="scope"/> seen through the transaction.</summary>
    public IStateStore For(StateScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return new StagedStateStore(_writes, scope);
    }

    /// <summary>Commits every write at once.</summary>
    /// <returns>
    /// The version the writes got. With nothing to write: the store's current version (0 on a shared store, whose
    /// version lives on the server).
    /// </returns>
    /// <exception cref="StateConflictException">A key the transaction read was changed meanwhile; nothing was written.</exception>
    /// <exception cref="InvalidOperationException">The transaction was committed already.</exception>
    public async ValueTask<long> CommitAsync(CancellationToken cancellationToken = default)
    {
        if (IsCommitted)
        {
            throw new InvalidOperationException("This transaction was committed already; begin a new one.");
        }

        _writes.Seal();
        if (_writes.Count == 0)
        {
            IsCommitted = true;
            return _root is StateStore local ? local.CurrentVersion : 0;
        }

        var batch = new StateBatch(_root.SerializerOptions);
        _writes.AddTo(batch);
        try
        {
            var version = await _root.ApplyGlobalAsync(batch, cancellationToken).ConfigureAwait(false);
            IsCommitted = true;
            return version;
        }
        catch
        {
            _writes.Unseal();
            throw;
        }
    }
}
