using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>
/// A reader that is only a reader: it does not implement <see cref="IStateStore"/>, so a cast cannot turn it into a
/// writer, and its child scopes are read-only too.
/// </summary>
internal sealed class ReadOnlyStateReader(IStateReader inner) : IStateReader
{
    public StateScope CurrentScope => inner.CurrentScope;

    public string Path => inner.Path;

    public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default) => inner.GetAsync<T>(key, cancellationToken);

    public ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) => inner.GetAsync(key, typeInfo, cancellationToken);

    public ValueTask<(bool Found, T? Value)> TryGetAsync<T>(string key, CancellationToken cancellationToken = default) => inner.TryGetAsync<T>(key, cancellationToken);

    public ValueTask<StateEntry?> GetEntryAsync(string key, CancellationToken cancellationToken = default) => inner.GetEntryAsync(key, cancellationToken);

    public ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => inner.ExistsAsync(key, cancellationToken);

    public ValueTask<IReadOnlyList<StateHistoryEntry>> GetHistoryAsync(string key, CancellationToken cancellationToken = default) => inner.GetHistoryAsync(key, cancellationToken);

    public IAsyncEnumerable<string> ListKeysAsync(string? prefix = null, CancellationToken cancellationToken = default) => inner.ListKeysAsync(prefix, cancellationToken);

    public IAsyncEnumerable<StateKey> ListAllAsync(string? prefix = null, CancellationToken cancellationToken = default) => inner.ListAllAsync(prefix, cancellationToken);

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

    public IStateReader Scope(string name) => new ReadOnlyStateReader(inner.Scope(name));

    public override string ToString() => $"ReadOnly({CurrentScope})";
}
