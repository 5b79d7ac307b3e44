namespace FlowState;

/// <summary>
/// Where a <see cref="StateStore"/> keeps its state durably. The store serves reads from memory, loads everything
/// with <see cref="ScanAsync"/> (empty prefix) when opened, and hands the backend its changes in version order, many commits
/// grouped into one <see cref="ApplyAsync"/> call (group commit). The store owns the backend and disposes it.
/// </summary>
/// <remarks>
/// <para>Which calls may overlap (what an implementation must make safe, and may rely on):</para>
/// <list type="bullet">
/// <item><see cref="OpenAsync"/> comes first and alone; then the store's <see cref="ScanAsync"/> at open, alone.</item>
/// <item><see cref="ApplyAsync"/> comes from one flusher at a time: it never overlaps itself, and each call starts
/// after the previous one returned.</item>
/// <item><see cref="GetAsync"/> (reading paged-out values back) may run on any thread, concurrently with other
/// <see cref="GetAsync"/> calls and with <see cref="ApplyAsync"/>; it must see every change of an
/// <see cref="ApplyAsync"/> that returned. The store never calls it while holding its write lock.</item>
/// <item><see cref="IStateBackupSource.BackupAsync"/> may overlap <see cref="ApplyAsync"/> and
/// <see cref="GetAsync"/>.</item>
/// <item><c>DisposeAsync</c> comes once, after the last <see cref="ApplyAsync"/> returned; a <see cref="GetAsync"/>
/// still running may overlap it and may fail.</item>
/// </list>
/// </remarks>
public interface IStateBackend : IAsyncDisposable
{
    /// <summary>A name for messages, e.g. the file path.</summary>
    string Description { get; }

    /// <summary>Opens (creating or migrating the storage) and recovers after a crash.</summary>
    /// <exception cref="StateBackendException">The storage cannot be opened.</exception>
    /// <exception cref="StateCorruptedException">The storage is damaged or of an unknown schema.</exception>
    ValueTask OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The stored entries whose scope storage key starts with <paramref name="scopeKeyPrefix"/>, ordered by scope
    /// and key (expired ones included; the store drops them). A scope's storage key as prefix selects the scope and
    /// all its child scopes; the empty prefix selects everything, FlowState's own records (scopes starting with
    /// <c>$</c>) included.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="scopeKeyPrefix"/> is neither empty nor a storage key (ending in <c>/</c>).</exception>
    IAsyncEnumerable<BackendEntry> ScanAsync(string scopeKeyPrefix, CancellationToken cancellationToken);

    /// <summary>One stored entry, or null (expired ones included; the store drops them).</summary>
    ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Applies the changes atomically (all or none), in order, and returns once they survive what
    /// <paramref name="durability"/> promises.
    /// </summary>
    /// <exception cref="StateBackendException">The changes could not be written; none of them is applied.</exception>
    ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken);
}
