using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>
/// State that several processes (or machines) share through a server — Redis or PostgreSQL — rather than a store one
/// process owns. Every read goes to the server and every write is a conditional commit the server checks and numbers,
/// so concurrent <see cref="UpdateAsync{T}"/> calls from different processes never lose an update: a writer whose read
/// went stale re-reads and retries (<see cref="SharedStateStoreOptions.MaxConflictRetries"/>).
/// </summary>
/// <remarks>
/// Compared with <see cref="StateStore"/>: no entry or byte bounds with eviction (the server holds the state), no
/// version history (<see cref="GetHistoryAsync"/> is empty) and no sliding expiration; batches (<see cref="ApplyAsync"/>)
/// and transactions (<see cref="BeginTransaction"/>) are atomic on the server. Versions are numbered
/// by the server, increasing across the store. Open one with <see cref="OpenAsync"/>; views of other scopes
/// (<see cref="For"/>, <see cref="Scope"/>) share its connection, and disposing the store opened closes them all.
/// </remarks>
public sealed class SharedStateStore : IStateStore, IStateStoreRoot, IAsyncDisposable
{
    private readonly SharedStateEngine _engine;
    private readonly bool _owner;
    private readonly SharedFence? _fence;

    private SharedStateStore(SharedStateEngine engine, StateScope scope, bool owner, SharedFence? fence = null)
    {
        _engine = engine;
        CurrentScope = scope;
        _owner = owner;
        _fence = fence;
    }

    /// <inheritdoc />
    public StateScope CurrentScope { get; }

    /// <inheritdoc />
    public string Path => CurrentScope.Path;

    /// <summary>The backend's description, e.g. <c>redis:orders</c>.</summary>
    public string Description => _engine.Description;

    JsonSerializerOptions IStateStoreRoot.SerializerOptions => _engine.SerializerOptions;

    JsonSerializerOptions IStateStoreRoot.DeepSerializerOptions => _engine.DeepSerializerOptions;

    TimeProvider IStateStoreRoot.Time => _engine.Time;

    // Shared stores keep no metrics of their own; flows on one record on the process-wide meter.
    FlowStateInstruments IStateStoreRoot.Instruments => FlowStateInstruments.Shared;

    long IStateStoreRoot.MaxValueBytes(StateScope scope) => _engine.MaxValueBytes;

    bool IStateStoreRoot.HasBackend => true;

    /// <summary>Connects to the server <see cref="SharedStateStoreOptions.Backend"/> names and returns the store's global scope.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    /// <exception cref="StateBackendException">The server cannot be reached or used.</exception>
    public static async Task<SharedStateStore> OpenAsync(SharedStateStoreOptions options, CancellationToken cancellationToken = default)
    {
        var engine = await SharedStateEngine.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        return new SharedStateStore(engine, StateScope.Global, owner: true);
    }

    /// <summary>A view of <paramref name="scope"/> on the same connection (fenced like this one, see <see cref="RunLeases.Fence"/>).</summary>
    public SharedStateStore For(StateScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return new SharedStateStore(_engine, scope, owner: false, _fence);
    }

    /// <summary>
    /// Starts a <see cref="StateTransaction"/>: reads and writes over any scopes, committed as one batch on the server
    /// (fenced like this store). A key another process changed since the transaction read it fails the commit.
    /// </summary>
    public StateTransaction BeginTransaction() => new(this);

    /// <summary>A view of <paramref name="scope"/> whose writes all carry <paramref name="fence"/>.</summary>
    internal SharedStateStore Fenced(StateScope scope, SharedFence fence) => new(_engine, scope, owner: false, fence);

    /// <inheritdoc />
    public IStateStore Scope(string name) => For(CurrentScope.Child(name));

    IStateStore IStateStoreRoot.For(StateScope scope) => For(scope);

    ValueTask<StateEntry?> IStateStoreRoot.ReadEntryAsync(StateScope scope, string key, CancellationToken cancellationToken) => For(scope).GetEntryAsync(key, cancellationToken);

    ValueTask<long> IStateStoreRoot.ApplyGlobalAsync(StateBatch batch, CancellationToken cancellationToken) => For(StateScope.Global).ApplyAsync(batch, cancellationToken);

    // A shared commit is a conditional write the server decides: it cannot be written behind.
    ValueTask<long> IStateStoreRoot.ApplyGlobalBehindAsync(StateBatch batch, CancellationToken cancellationToken) => For(StateScope.Global).ApplyAsync(batch, cancellationToken);

    DeferredWrites? IStateStoreRoot.NewDeferredWrites() => null;

    ValueTask<long> IStateStoreRoot.ApplyGlobalDeferredAsync(StateBatch batch, DeferredWrites deferred, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A shared store commits on its server; it defers no change (NewDeferredWrites gives none).");

    ValueTask IStateStoreRoot.FlushDeferredAsync(DeferredWrites deferred, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A shared store commits on its server; it defers no change (NewDeferredWrites gives none).");

    IStateReader IStateReader.Scope(string name) => Scope(name);

    /// <inheritdoc />
    public StateBatch CreateBatch() => new(_engine.SerializerOptions);

    /// <inheritdoc />
    public ValueTask<StateEntry?> GetEntryAsync(string key, CancellationToken cancellationToken = default) =>
        _engine.GetAsync(CurrentScope, key, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var entry = await _engine.GetAsync(CurrentScope, key, cancellationToken).ConfigureAwait(false);
        return entry is null ? default : entry.Deserialize<T>(_engine.DeepSerializerOptions);
    }

    /// <inheritdoc />
    public async ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var entry = await _engine.GetAsync(CurrentScope, key, cancellationToken).ConfigureAwait(false);
        return entry is null ? default : entry.Deserialize(typeInfo);
    }

    /// <inheritdoc />
    public async ValueTask<(bool Found, T? Value)> TryGetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var entry = await _engine.GetAsync(CurrentScope, key, cancellationToken).ConfigureAwait(false);
        return entry is null ? (false, default) : (true, entry.Deserialize<T>(_engine.DeepSerializerOptions));
    }

    /// <inheritdoc />
    public async ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        await _engine.GetAsync(CurrentScope, key, cancellationToken).ConfigureAwait(false) is not null;

    /// <inheritdoc />
    /// <remarks>A shared store keeps no history: always empty.</remarks>
    public ValueTask<IReadOnlyList<StateHistoryEntry>> GetHistoryAsync(string key, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        return new([]);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<string> ListKeysAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var stored in _engine.ScanLiveAsync(CurrentScope, includeChildScopes: false, cancellationToken).ConfigureAwait(false))
        {
            if (prefix is null || stored.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return stored.Key;
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StateKey> ListAllAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        StateScope? scope = null;
        await foreach (var stored in _engine.ScanLiveAsync(CurrentScope, includeChildScopes: true, cancellationToken).ConfigureAwait(false))
        {
            if (prefix is null || stored.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                if (scope is null || scope.StorageKey != stored.ScopeKey)
                {
                    scope = StateScope.FromStorageKey(stored.ScopeKey);
                }

                yield return new StateKey(scope, stored.Key);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => _engine.CountAsync(CurrentScope, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> SetAsync<T>(string key, T value, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        return WriteAsync(StateOperationKind.Set, key, JsonValueCodec.Serialize(value, _engine.DeepSerializerOptions, key, _engine.MaxValueBytes, CurrentScope), options, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<long> SetAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return WriteAsync(StateOperationKind.Set, key, JsonValueCodec.Serialize(value, typeInfo, key, _engine.MaxValueBytes, CurrentScope), options, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<long> SetRawAsync(string key, ReadOnlyMemory<byte> utf8Json, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        return WriteAsync(StateOperationKind.Set, key, utf8Json.ToArray(), options, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<long> MergeAsync<TPatch>(string key, TPatch patch, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        return WriteAsync(StateOperationKind.Merge, key, JsonValueCodec.Serialize(patch, _engine.DeepSerializerOptions, key), options, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string key, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        var result = await _engine.CommitAsync([new PreparedWrite(StateOperationKind.Delete, CurrentScope, key, null, options, inheritTimeToLive: false)], _fence, cancellationToken).ConfigureAwait(false);
        return result.PreviousVersions[0] != 0;
    }

    /// <inheritdoc />
    public ValueTask<T> UpdateAsync<T>(string key, Func<T?, T> update, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        _engine.UpdateAsync(CurrentScope, key, update, options, _fence, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<long> ApplyAsync(StateBatch batch, CancellationToken cancellationToken = default)
    {
        var writes = StateStore.Prepare(CurrentScope, batch);
        if (writes.Length == 0)
        {
            return 0;
        }

        var result = await _engine.CommitAsync(writes, _fence, cancellationToken).ConfigureAwait(false);
        return result.Version;
    }

    /// <inheritdoc />
    /// <remarks>Changes committed by any process sharing the store; a merge is reported as <see cref="StateChangeKind.Set"/> of the merged value.</remarks>
    public IAsyncEnumerable<StateChange> WatchAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
        _engine.Watch(CurrentScope, prefix, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> ClearAsync(CancellationToken cancellationToken = default) => ClearAsync(StateClearExtent.Subtree, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> ClearAsync(StateClearExtent extent, CancellationToken cancellationToken = default) =>
        _engine.ClearAsync(new ScopeClear(CurrentScope, extent), _fence, cancellationToken);

    /// <summary>Closes the connection when this is the store <see cref="OpenAsync"/> returned; a view's dispose does nothing.</summary>
    public ValueTask DisposeAsync() => _owner ? _engine.DisposeAsync() : ValueTask.CompletedTask;

    /// <inheritdoc />
    public override string ToString() => $"SharedStateStore({_engine.Description}, {CurrentScope})";

    /// <summary>
    /// Why the change feed stopped (the server went away), or null while it works or the store has none: watches then
    /// fail, and the store must be opened again to watch. Reads and writes are not affected.
    /// </summary>
    public Exception? ChangeFeedFault => _engine.ChangeFeedFault;

    private async ValueTask<long> WriteAsync(StateOperationKind kind, string key, byte[] json, StateWriteOptions? options, CancellationToken cancellationToken)
    {
        var result = await _engine.CommitAsync([new PreparedWrite(kind, CurrentScope, key, json, options, inheritTimeToLive: kind == StateOperationKind.Merge)], _fence, cancellationToken).ConfigureAwait(false);
        return result.Version;
    }
}
