using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FlowState;

// The store is also the global scope's IStateStore; these members forward to the (decorated) global view.
public sealed partial class StateStore
{
    internal JsonSerializerOptions DeepSerializerOptions => _jsonDeep;

    /// <inheritdoc />
    public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) => _global.GetAsync<T>(key, cancellationToken);

    /// <inheritdoc />
    public ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => _global.GetAsync(key, typeInfo, cancellationToken);

    /// <inheritdoc />
    public ValueTask<(bool Found, T? Value)> TryGetAsync<T>(string key, CancellationToken cancellationToken = default) => _global.TryGetAsync<T>(key, cancellationToken);

    /// <inheritdoc />
    public ValueTask<StateEntry?> GetEntryAsync(string key, CancellationToken cancellationToken = default)
    {
        if (_decorators.Length != 0)
        {
            return _global.GetEntryAsync(key, cancellationToken);
        }

        // Undecorated: the global scope's node is the root, which is never pruned, so the view is skipped.
        return ResidentAsync(Read(_tree.Root, key), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => _global.ExistsAsync(key, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StateHistoryEntry>> GetHistoryAsync(string key, CancellationToken cancellationToken = default) => _global.GetHistoryAsync(key, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<string> ListKeysAsync(string? prefix = null, CancellationToken cancellationToken = default) => _global.ListKeysAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<StateKey> ListAllAsync(string? prefix = null, CancellationToken cancellationToken = default) => _global.ListAllAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => _global.CountAsync(cancellationToken);

    /// <inheritdoc />
    public IStateStore Scope(string name) => _global.Scope(name);

    /// <inheritdoc />
    IStateReader IStateReader.Scope(string name) => _global.Scope(name);

    /// <inheritdoc />
    public StateBatch CreateBatch() => new(_json);

    /// <inheritdoc />
    public ValueTask<long> SetAsync<T>(string key, T value, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        _global.SetAsync(key, value, options, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> SetAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        _global.SetAsync(key, value, typeInfo, options, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> SetRawAsync(string key, ReadOnlyMemory<byte> utf8Json, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        _global.SetRawAsync(key, utf8Json, options, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string key, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        _global.DeleteAsync(key, options, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> MergeAsync<TPatch>(string key, TPatch patch, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        _global.MergeAsync(key, patch, options, cancellationToken);

    /// <inheritdoc />
    public ValueTask<T> UpdateAsync<T>(string key, Func<T?, T> update, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        _global.UpdateAsync(key, update, options, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> ApplyAsync(StateBatch batch, CancellationToken cancellationToken = default) => _global.ApplyAsync(batch, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<StateChange> WatchAsync(string? prefix = null, CancellationToken cancellationToken = default) => _global.WatchAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> ClearAsync(CancellationToken cancellationToken = default) => _global.ClearAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> ClearAsync(StateClearExtent extent, CancellationToken cancellationToken = default) => _global.ClearAsync(extent, cancellationToken);

    /// <summary>Starts a <see cref="StateTransaction"/>: reads and writes over any scopes, committed as one batch.</summary>
    public StateTransaction BeginTransaction() => new(this);
}
