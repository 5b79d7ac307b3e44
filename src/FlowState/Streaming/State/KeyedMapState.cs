namespace FlowState.Streaming;

/// <summary>A map of named values per key (Flink's <c>MapState</c>), in a processor's checkpointed state.</summary>
/// <typeparam name="TValue">The values' type (a key's map is stored as one JSON object).</typeparam>
public sealed class KeyedMapState<TValue>
{
    private readonly KeyedStateScope _scope;

    internal KeyedMapState(KeyedStateScope scope) => _scope = scope;

    /// <summary>The value under <paramref name="mapKey"/> in the key's map, or the type's default when there is none.</summary>
    public async ValueTask<TValue?> GetAsync(string key, string mapKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapKey);
        var map = await _scope.Store.GetAsync<Dictionary<string, TValue>>(key, cancellationToken).ConfigureAwait(false);
        return map is not null && map.TryGetValue(mapKey, out var value) ? value : default;
    }

    /// <summary>The key's whole map; empty when it has none.</summary>
    public async ValueTask<IReadOnlyDictionary<string, TValue>> EntriesAsync(string key, CancellationToken cancellationToken = default) =>
        await _scope.Store.GetAsync<Dictionary<string, TValue>>(key, cancellationToken).ConfigureAwait(false) ?? [];

    /// <summary>Puts <paramref name="value"/> under <paramref name="mapKey"/> in the key's map.</summary>
    /// <exception cref="StreamException">Another partition owns <paramref name="key"/>.</exception>
    public async ValueTask PutAsync(string key, string mapKey, TValue value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapKey);
        await _scope.Store.UpdateAsync<Dictionary<string, TValue>>(
            _scope.Owned(key),
            map => new Dictionary<string, TValue>(map ?? [], StringComparer.Ordinal) { [mapKey] = value },
            _scope.WriteOptions,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes <paramref name="mapKey"/> from the key's map (the map itself when it was the last).</summary>
    /// <returns>Whether it was there.</returns>
    /// <exception cref="StreamException">Another partition owns <paramref name="key"/>.</exception>
    public async ValueTask<bool> RemoveAsync(string key, string mapKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapKey);
        var map = await _scope.Store.GetAsync<Dictionary<string, TValue>>(_scope.Owned(key), cancellationToken).ConfigureAwait(false);
        if (map is null || !map.Remove(mapKey))
        {
            return false;
        }

        if (map.Count == 0)
        {
            await _scope.Store.DeleteAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _scope.Store.SetAsync(key, map, _scope.WriteOptions, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Removes the key's whole map.</summary>
    /// <returns>Whether it had one.</returns>
    public ValueTask<bool> ClearAsync(string key, CancellationToken cancellationToken = default) => _scope.Store.DeleteAsync(_scope.Owned(key), cancellationToken: cancellationToken);
}
