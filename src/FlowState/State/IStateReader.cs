using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>
/// Read access to one scope of state. Readers never block each other. A reader can never write, and
/// <see cref="Scope"/> hands out readers only.
/// </summary>
public interface IStateReader
{
    /// <summary>The scope this reader sees.</summary>
    StateScope CurrentScope { get; }

    /// <summary>Display form of the scope, e.g. <c>workflow:run_1:</c> (empty for the global scope).</summary>
    string Path { get; }

    /// <summary>Gets a value, or default when the key does not exist (or has expired).</summary>
    /// <exception cref="ArgumentException">The key is invalid.</exception>
    /// <exception cref="StateTypeException">The stored value does not deserialize to <typeparamref name="T"/>.</exception>
    ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Gets a value using source-generated metadata.</summary>
    /// <exception cref="ArgumentException">The key is invalid.</exception>
    /// <exception cref="StateTypeException">The stored value does not deserialize to <typeparamref name="T"/>.</exception>
    ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Gets a value and whether the key exists (a stored JSON <c>null</c> is found with a default value).</summary>
    /// <exception cref="ArgumentException">The key is invalid.</exception>
    /// <exception cref="StateTypeException">The stored value does not deserialize to <typeparamref name="T"/>.</exception>
    ValueTask<(bool Found, T? Value)> TryGetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Gets the raw entry (UTF-8 JSON, version, expiry), or null when the key does not exist.</summary>
    /// <exception cref="ArgumentException">The key is invalid.</exception>
    ValueTask<StateEntry?> GetEntryAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Whether the key exists and has not expired.</summary>
    /// <exception cref="ArgumentException">The key is invalid.</exception>
    ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// The kept past versions of <paramref name="key"/> in this scope, newest first (the current value included);
    /// empty unless history is on for the scope (<see cref="StateStoreOptions.History"/>).
    /// </summary>
    ValueTask<IReadOnlyList<StateHistoryEntry>> GetHistoryAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>This scope's own keys (not its child scopes'), in ordinal order, optionally only those starting with <paramref name="prefix"/>.</summary>
    IAsyncEnumerable<string> ListKeysAsync(string? prefix = null, CancellationToken cancellationToken = default);

    /// <summary>Every key of this scope and of its child scopes, with its scope, optionally only keys starting with <paramref name="prefix"/>.</summary>
    IAsyncEnumerable<StateKey> ListAllAsync(string? prefix = null, CancellationToken cancellationToken = default);

    /// <summary>Number of live keys in this scope and its child scopes.</summary>
    ValueTask<long> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>A reader of the child scope <paramref name="name"/>; it can never write.</summary>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    IStateReader Scope(string name);
}
