using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>
/// Base of <see cref="IStateStore"/> wrappers (logging, metrics, tracing). Every single-key and batch operation runs
/// through <see cref="AroundAsync{TResult}"/>; child scopes are wrapped again through <see cref="Wrap"/>, so the
/// decoration holds all the way down. Register with <see cref="StateStoreOptions.Decorators"/>.
/// </summary>
public abstract class StateStoreDecorator : IStateStore
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    protected StateStoreDecorator(IStateStore inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
    }

    /// <summary>The wrapped store.</summary>
    protected IStateStore Inner { get; }

    /// <inheritdoc />
    public StateScope CurrentScope => Inner.CurrentScope;

    /// <inheritdoc />
    public string Path => Inner.Path;

    /// <inheritdoc />
    public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Get, key, () => Inner.GetAsync<T>(key, cancellationToken));

    /// <inheritdoc />
    public ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Get, key, () => Inner.GetAsync(key, typeInfo, cancellationToken));

    /// <inheritdoc />
    public ValueTask<(bool Found, T? Value)> TryGetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Get, key, () => Inner.TryGetAsync<T>(key, cancellationToken));

    /// <inheritdoc />
    public ValueTask<StateEntry?> GetEntryAsync(string key, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Get, key, () => Inner.GetEntryAsync(key, cancellationToken));

    /// <inheritdoc />
    public ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Exists, key, () => Inner.ExistsAsync(key, cancellationToken));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StateHistoryEntry>> GetHistoryAsync(string key, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.History, key, () => Inner.GetHistoryAsync(key, cancellationToken));

    /// <inheritdoc />
    public IAsyncEnumerable<string> ListKeysAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
        Inner.ListKeysAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<StateKey> ListAllAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
        Inner.ListAllAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Count, null, () => Inner.CountAsync(cancellationToken));

    /// <inheritdoc />
    public IStateStore Scope(string name) => Wrap(Inner.Scope(name));

    /// <inheritdoc />
    IStateReader IStateReader.Scope(string name) => Scope(name);

    /// <inheritdoc />
    public StateBatch CreateBatch() => Inner.CreateBatch();

    /// <inheritdoc />
    public ValueTask<long> SetAsync<T>(string key, T value, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Set, key, () => Inner.SetAsync(key, value, options, cancellationToken));

    /// <inheritdoc />
    public ValueTask<long> SetAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Set, key, () => Inner.SetAsync(key, value, typeInfo, options, cancellationToken));

    /// <inheritdoc />
    public ValueTask<long> SetRawAsync(string key, ReadOnlyMemory<byte> utf8Json, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Set, key, () => Inner.SetRawAsync(key, utf8Json, options, cancellationToken));

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string key, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Delete, key, () => Inner.DeleteAsync(key, options, cancellationToken));

    /// <inheritdoc />
    public ValueTask<long> MergeAsync<TPatch>(string key, TPatch patch, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Merge, key, () => Inner.MergeAsync(key, patch, options, cancellationToken));

    /// <inheritdoc />
    public ValueTask<T> UpdateAsync<T>(string key, Func<T?, T> update, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Update, key, () => Inner.UpdateAsync(key, update, options, cancellationToken));

    /// <inheritdoc />
    public ValueTask<long> ApplyAsync(StateBatch batch, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Apply, null, () => Inner.ApplyAsync(batch, cancellationToken));

    /// <inheritdoc />
    public IAsyncEnumerable<StateChange> WatchAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
        Inner.WatchAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> ClearAsync(CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Clear, null, () => Inner.ClearAsync(cancellationToken));

    /// <inheritdoc />
    public ValueTask<long> ClearAsync(StateClearExtent extent, CancellationToken cancellationToken = default) =>
        AroundAsync(StateOperationNames.Clear, null, () => Inner.ClearAsync(extent, cancellationToken));

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name}({Inner})";

    /// <summary>Wraps a child scope's store in the same kind of decorator.</summary>
    protected abstract IStateStore Wrap(IStateStore inner);

    /// <summary>Runs one operation; override to observe it (time, log, count). The default just runs it.</summary>
    /// <param name="operation">One of <see cref="StateOperationNames"/>.</param>
    /// <param name="key">The key, or null for whole-scope operations.</param>
    /// <param name="operationCall">Runs the operation on <see cref="Inner"/>.</param>
    protected virtual ValueTask<TResult> AroundAsync<TResult>(string operation, string? key, Func<ValueTask<TResult>> operationCall)
    {
        ArgumentNullException.ThrowIfNull(operationCall);
        return operationCall();
    }
}
