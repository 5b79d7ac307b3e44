namespace FlowState.Streaming;

/// <summary>One value per key (Flink's <c>ValueState</c>), in a processor's checkpointed state.</summary>
/// <typeparam name="T">The value's type (stored as JSON).</typeparam>
public sealed class KeyedValueState<T>
{
    private readonly KeyedStateScope _scope;

    internal KeyedValueState(KeyedStateScope scope) => _scope = scope;

    /// <summary>The key's value, or the type's default when it has none (never set, cleared or expired).</summary>
    public ValueTask<T?> GetAsync(string key, CancellationToken cancellationToken = default) => _scope.Store.GetAsync<T>(key, cancellationToken);

    /// <summary>Sets the key's value.</summary>
    /// <exception cref="StreamException">Another partition owns <paramref name="key"/>.</exception>
    public async ValueTask SetAsync(string key, T value, CancellationToken cancellationToken = default) =>
        await _scope.Store.SetAsync(_scope.Owned(key), value, _scope.WriteOptions, cancellationToken).ConfigureAwait(false);

    /// <summary>Removes the key's value.</summary>
    /// <returns>Whether it had one.</returns>
    public ValueTask<bool> ClearAsync(string key, CancellationToken cancellationToken = default) => _scope.Store.DeleteAsync(_scope.Owned(key), cancellationToken: cancellationToken);
}
