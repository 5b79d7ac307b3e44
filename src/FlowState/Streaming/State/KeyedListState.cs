namespace FlowState.Streaming;

/// <summary>A list per key (Flink's <c>ListState</c>), in a processor's checkpointed state.</summary>
/// <typeparam name="T">The items' type (stored as a JSON array).</typeparam>
public sealed class KeyedListState<T>
{
    private readonly KeyedStateScope _scope;

    internal KeyedListState(KeyedStateScope scope) => _scope = scope;

    /// <summary>The key's items in the order they were added; empty when it has none.</summary>
    public async ValueTask<IReadOnlyList<T>> GetAsync(string key, CancellationToken cancellationToken = default) =>
        await _scope.Store.GetAsync<List<T>>(key, cancellationToken).ConfigureAwait(false) ?? [];

    /// <summary>Adds an item at the end of the key's list.</summary>
    /// <exception cref="StreamException">Another partition owns <paramref name="key"/>.</exception>
    public ValueTask AddAsync(string key, T item, CancellationToken cancellationToken = default) => AddRangeAsync(key, [item], cancellationToken);

    /// <summary>Adds items at the end of the key's list, in one write.</summary>
    /// <exception cref="StreamException">Another partition owns <paramref name="key"/>.</exception>
    public async ValueTask AddRangeAsync(string key, IEnumerable<T> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);

        // Enumerated once: an update that meets a concurrent write runs its function again.
        List<T> added = [.. items];
        await _scope.Store.UpdateAsync<List<T>>(_scope.Owned(key), list => [.. list ?? [], .. added], _scope.WriteOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces the key's list (an empty one removes it).</summary>
    /// <exception cref="StreamException">Another partition owns <paramref name="key"/>.</exception>
    public async ValueTask UpdateAsync(string key, IEnumerable<T> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        List<T> list = [.. items];
        if (list.Count == 0)
        {
            await ClearAsync(key, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _scope.Store.SetAsync(_scope.Owned(key), list, _scope.WriteOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the key's list.</summary>
    /// <returns>Whether it had one.</returns>
    public ValueTask<bool> ClearAsync(string key, CancellationToken cancellationToken = default) => _scope.Store.DeleteAsync(_scope.Owned(key), cancellationToken: cancellationToken);
}
