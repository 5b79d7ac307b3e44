namespace FlowState.Streaming;

/// <summary>
/// One value per key that every added value is folded into with a reduce function (Flink's <c>ReducingState</c>):
/// a running sum, maximum or latest, in a processor's checkpointed state.
/// </summary>
/// <typeparam name="T">The values' type (stored as JSON).</typeparam>
public sealed class KeyedReducingState<T>
{
    private readonly KeyedStateScope _scope;
    private readonly Func<T, T, T> _reduce;

    internal KeyedReducingState(KeyedStateScope scope, Func<T, T, T> reduce)
    {
        _scope = scope;
        _reduce = reduce;
    }

    /// <summary>The key's reduced value, or the type's default when nothing was added (or it was cleared or expired).</summary>
    public ValueTask<T?> GetAsync(string key, CancellationToken cancellationToken = default) => _scope.Store.GetAsync<T>(key, cancellationToken);

    /// <summary>Folds <paramref name="value"/> into the key's value (the first value added is kept as it is).</summary>
    /// <returns>The key's value after it.</returns>
    /// <exception cref="StreamException">Another partition owns <paramref name="key"/>.</exception>
    public async ValueTask<T> AddAsync(string key, T value, CancellationToken cancellationToken = default)
    {
        var owned = _scope.Owned(key);
        var (found, current) = await _scope.Store.TryGetAsync<T>(owned, cancellationToken).ConfigureAwait(false);
        var reduced = found ? _reduce(current!, value) : value;
        await _scope.Store.SetAsync(owned, reduced, _scope.WriteOptions, cancellationToken).ConfigureAwait(false);
        return reduced;
    }

    /// <summary>Removes the key's value.</summary>
    /// <returns>Whether it had one.</returns>
    public ValueTask<bool> ClearAsync(string key, CancellationToken cancellationToken = default) => _scope.Store.DeleteAsync(_scope.Owned(key), cancellationToken: cancellationToken);
}
