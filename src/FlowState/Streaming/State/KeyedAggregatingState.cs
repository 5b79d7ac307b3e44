namespace FlowState.Streaming;

/// <summary>
/// An accumulator per key that inputs are added to and a result is read from (Flink's <c>AggregatingState</c>): an
/// average kept as a sum and a count, a distinct count kept as a set, in a processor's checkpointed state.
/// </summary>
/// <typeparam name="TInput">What is added.</typeparam>
/// <typeparam name="TAccumulator">What is stored (as JSON).</typeparam>
/// <typeparam name="TOutput">What is read.</typeparam>
public sealed class KeyedAggregatingState<TInput, TAccumulator, TOutput>
{
    private readonly KeyedStateScope _scope;
    private readonly Func<TAccumulator> _create;
    private readonly Func<TAccumulator, TInput, TAccumulator> _add;
    private readonly Func<TAccumulator, TOutput> _result;

    internal KeyedAggregatingState(KeyedStateScope scope, Func<TAccumulator> create, Func<TAccumulator, TInput, TAccumulator> add, Func<TAccumulator, TOutput> result)
    {
        _scope = scope;
        _create = create;
        _add = add;
        _result = result;
    }

    /// <summary>The result of the key's accumulator; the type's default when nothing was added (or it was cleared or expired).</summary>
    public async ValueTask<TOutput?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var (found, accumulator) = await _scope.Store.TryGetAsync<TAccumulator>(key, cancellationToken).ConfigureAwait(false);
        return found ? _result(accumulator!) : default;
    }

    /// <summary>Adds <paramref name="input"/> to the key's accumulator (a new one when it has none).</summary>
    /// <returns>The result after it.</returns>
    /// <exception cref="StreamException">Another partition owns <paramref name="key"/>.</exception>
    public async ValueTask<TOutput> AddAsync(string key, TInput input, CancellationToken cancellationToken = default)
    {
        var owned = _scope.Owned(key);
        var (found, accumulator) = await _scope.Store.TryGetAsync<TAccumulator>(owned, cancellationToken).ConfigureAwait(false);
        var added = _add(found ? accumulator! : _create(), input);
        await _scope.Store.SetAsync(owned, added, _scope.WriteOptions, cancellationToken).ConfigureAwait(false);
        return _result(added);
    }

    /// <summary>Removes the key's accumulator.</summary>
    /// <returns>Whether it had one.</returns>
    public ValueTask<bool> ClearAsync(string key, CancellationToken cancellationToken = default) => _scope.Store.DeleteAsync(_scope.Owned(key), cancellationToken: cancellationToken);
}
