namespace FlowState;

/// <summary>
/// A server that several processes share state through (Redis, PostgreSQL). Unlike an <see cref="IStateBackend"/>,
/// which one store owns and serves from memory, the server is the only copy: every read goes to it, and every write is
/// a conditional commit the server checks and numbers atomically, so writers in different processes never lose each
/// other's updates. <see cref="SharedStateStore"/> is the store on top.
/// </summary>
/// <remarks>
/// Which calls may overlap: <c>OpenAsync</c> comes first and alone, <c>DisposeAsync</c> last (after every call the
/// store made returned, change feeds cancelled). In between every method may be called from any thread concurrently
/// with every other, commits included: the server, not the caller, orders commits, and the checks and the new
/// version of one commit are atomic against all others, from this process or any other.
/// </remarks>
public interface ISharedStateBackend : IAsyncDisposable
{
    /// <summary>A name for messages, e.g. <c>redis:orders</c>.</summary>
    string Description { get; }

    /// <summary>Connects, creating what the server needs (tables, scripts) when missing.</summary>
    /// <exception cref="StateBackendException">The server cannot be reached or used.</exception>
    ValueTask OpenAsync(CancellationToken cancellationToken);

    /// <summary>One stored entry, or null (an expired one may be returned; the store drops it).</summary>
    /// <exception cref="StateBackendException">The server failed.</exception>
    ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken);

    /// <summary>
    /// The stored entries of the scope <paramref name="scopeKey"/> and, with <paramref name="includeChildScopes"/>,
    /// of the scopes inside it, ordered by scope and key (expired ones may be included; the store drops them).
    /// </summary>
    /// <exception cref="StateBackendException">The server failed.</exception>
    IAsyncEnumerable<BackendEntry> ScanAsync(string scopeKey, bool includeChildScopes, CancellationToken cancellationToken);

    /// <summary>
    /// Checks every change's <see cref="SharedChange.ExpectedVersion"/> against the live entries (an entry whose expiry
    /// is at or before <paramref name="nowUtcTicks"/> is absent) and, when all match, applies the changes atomically
    /// under one new version, higher than any version the store's entries had; returns once they survive what
    /// <paramref name="durability"/> promises. When one check fails nothing is applied.
    /// </summary>
    /// <exception cref="StateBackendException">The server failed; the changes may or may not have been applied.</exception>
    ValueTask<SharedCommitResult> CommitAsync(IReadOnlyList<SharedChange> changes, long nowUtcTicks, Durability durability, CancellationToken cancellationToken);

    /// <summary>
    /// Every change committed to the store from now on, by any process, in commit order per key, until
    /// <paramref name="cancellationToken"/> is cancelled. The feed is subscribed when the method returns.
    /// </summary>
    /// <exception cref="StateBackendException">The server failed.</exception>
    ValueTask<IAsyncEnumerable<SharedChangeNotice>> SubscribeAsync(CancellationToken cancellationToken);
}
