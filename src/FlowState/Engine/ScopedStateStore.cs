using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>The engine's store of one scope. Holds its scope node so that reads are one dictionary lookup.</summary>
internal sealed class ScopedStateStore(StateStore engine, StateScope scope) : IStateStore
{
    private ScopeNode? _node;

    public StateScope CurrentScope { get; } = scope;

    public string Path => CurrentScope.Path;

    public ValueTask<StateEntry?> GetEntryAsync(string key, CancellationToken cancellationToken = default) =>
        engine.ResidentAsync(engine.Read(Node(), key), cancellationToken);

    public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var entry = engine.Read(Node(), key);
        if (entry is { IsResident: false })
        {
            return PagedInAsync(entry, static (e, options) => e.Deserialize<T>((System.Text.Json.JsonSerializerOptions)options), engine.DeepSerializerOptions, cancellationToken);
        }

        return new(entry is null ? default : entry.Deserialize<T>(engine.DeepSerializerOptions));
    }

    public ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var entry = engine.Read(Node(), key);
        if (entry is { IsResident: false })
        {
            return PagedInAsync(entry, static (e, info) => e.Deserialize((JsonTypeInfo<T>)info), typeInfo, cancellationToken);
        }

        return new(entry is null ? default : entry.Deserialize(typeInfo));
    }

    public async ValueTask<(bool Found, T? Value)> TryGetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var entry = engine.Read(Node(), key);
        if (entry is { IsResident: false })
        {
            entry = await engine.PageInAsync(entry, cancellationToken).ConfigureAwait(false);
        }

        return entry is null ? (false, default) : (true, entry.Deserialize<T>(engine.DeepSerializerOptions));
    }

    public ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        new(engine.Read(Node(), key) is not null);

    public ValueTask<IReadOnlyList<StateHistoryEntry>> GetHistoryAsync(string key, CancellationToken cancellationToken = default) =>
        new(engine.GetHistory(CurrentScope, key));

    public async IAsyncEnumerable<string> ListKeysAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var key in engine.ListKeys(CurrentScope, prefix))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return key;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async IAsyncEnumerable<StateKey> ListAllAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var key in engine.ListAll(CurrentScope, prefix))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return key;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => new(engine.Count(CurrentScope));

    // Undecorated on purpose: a decorator wraps its own children (StateStoreDecorator.Wrap), so decorating here too
    // would wrap child scopes twice.
    public IStateStore Scope(string name) => new ScopedStateStore(engine, CurrentScope.Child(name));

    IStateReader IStateReader.Scope(string name) => Scope(name);

    public StateBatch CreateBatch() => new(engine.SerializerOptions);

    public ValueTask<long> SetAsync<T>(string key, T value, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        return WriteAsync(StateOperationKind.Set, key, JsonValueCodec.Serialize(value, engine.DeepSerializerOptions, key, engine.MaxValueBytes(CurrentScope), CurrentScope), options, cancellationToken);
    }

    public ValueTask<long> SetAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return WriteAsync(StateOperationKind.Set, key, JsonValueCodec.Serialize(value, typeInfo, key, engine.MaxValueBytes(CurrentScope), CurrentScope), options, cancellationToken);
    }

    public ValueTask<long> SetRawAsync(string key, ReadOnlyMemory<byte> utf8Json, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        return WriteAsync(StateOperationKind.Set, key, utf8Json.ToArray(), options, cancellationToken);
    }

    public ValueTask<long> MergeAsync<TPatch>(string key, TPatch patch, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        return WriteAsync(StateOperationKind.Merge, key, JsonValueCodec.Serialize(patch, engine.DeepSerializerOptions, key), options, cancellationToken);
    }

    public async ValueTask<bool> DeleteAsync(string key, StateWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateKey(key);
        var result = await engine.CommitAsync(
            [new PreparedWrite(StateOperationKind.Delete, CurrentScope, key, null, options, inheritTimeToLive: false)],
            cancellationToken).ConfigureAwait(false);
        return result.Removed > 0;
    }

    public ValueTask<T> UpdateAsync<T>(string key, Func<T?, T> update, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        engine.UpdateAsync(CurrentScope, key, update, options, cancellationToken);

    public async ValueTask<long> ApplyAsync(StateBatch batch, CancellationToken cancellationToken = default)
    {
        var result = await engine.CommitAsync(StateStore.Prepare(CurrentScope, batch), cancellationToken).ConfigureAwait(false);
        return result.Version;
    }

    public IAsyncEnumerable<StateChange> WatchAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
        engine.Watch(CurrentScope, prefix, cancellationToken);

    public ValueTask<long> ClearAsync(CancellationToken cancellationToken = default) => ClearAsync(StateClearExtent.Subtree, cancellationToken);

    public async ValueTask<long> ClearAsync(StateClearExtent extent, CancellationToken cancellationToken = default)
    {
        var result = await engine.ClearAsync(CurrentScope, extent, cancellationToken).ConfigureAwait(false);
        return result.Removed;
    }

    public override string ToString() => $"StateStore({CurrentScope})";

    /// <summary>The slow path of a read whose value was paged out: read it back, then deserialize.</summary>
    private async ValueTask<T?> PagedInAsync<T>(StateEntry entry, Func<StateEntry, object, T?> deserialize, object options, CancellationToken cancellationToken)
    {
        var resident = await engine.PageInAsync(entry, cancellationToken).ConfigureAwait(false);
        return resident is null ? default : deserialize(resident, options);
    }

    private ScopeNode? Node()
    {
        var node = _node;
        if (node is null || node.Detached)
        {
            node = engine.FindNode(CurrentScope);
            _node = node;
        }

        return node;
    }

    private async ValueTask<long> WriteAsync(StateOperationKind kind, string key, byte[] json, StateWriteOptions? options, CancellationToken cancellationToken)
    {
        var result = await engine.CommitAsync(
            [new PreparedWrite(kind, CurrentScope, key, json, options, inheritTimeToLive: kind == StateOperationKind.Merge)],
            cancellationToken).ConfigureAwait(false);
        return result.Version;
    }
}
