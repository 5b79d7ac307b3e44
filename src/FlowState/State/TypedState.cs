using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>A view of a store that holds values of one type: <c>Get</c>, <c>Set</c> and <c>Delete</c> of <typeparamref name="T"/> only.</summary>
/// <typeparam name="T">The value type.</typeparam>
public sealed class TypedState<T>
{
    private readonly IStateStore _store;
    private readonly JsonTypeInfo<T>? _typeInfo;

    /// <summary>Creates a typed view; with <paramref name="typeInfo"/> values use source-generated metadata.</summary>
    public TypedState(IStateStore store, JsonTypeInfo<T>? typeInfo = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _typeInfo = typeInfo;
    }

    /// <summary>The underlying store.</summary>
    public IStateStore Store => _store;

    /// <summary>Gets the value, or default when missing.</summary>
    /// <exception cref="StateTypeException">The stored value is not a <typeparamref name="T"/>.</exception>
    public ValueTask<T?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        _typeInfo is null ? _store.GetAsync<T>(key, cancellationToken) : _store.GetAsync(key, _typeInfo, cancellationToken);

    /// <summary>Stores the value.</summary>
    /// <returns>The new version.</returns>
    public ValueTask<long> SetAsync(string key, T value, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        _typeInfo is null ? _store.SetAsync(key, value, options, cancellationToken) : _store.SetAsync(key, value, _typeInfo, options, cancellationToken);

    /// <summary>Deletes the key.</summary>
    /// <returns>True when it existed.</returns>
    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => _store.DeleteAsync(key, null, cancellationToken);
}
