namespace FlowState;

/// <summary>
/// Where a <see cref="StateStore"/> keeps its state durably. The store serves reads from memory, loads everything
/// with <see cref="ScanAsync"/> when opened, and hands the backend its changes in version order, many commits
/// grouped into one <see cref="ApplyAsync"/> call (group commit). The store owns the backend and disposes it.
/// </summary>
public interface IStateBackend : IAsyncDisposable
{
    /// <summary>A name for messages, e.g. the file path.</summary>
    string Description { get; }

    /// <summary>Opens (creating or migrating the storage) and recovers after a crash.</summary>
    /// <exception cref="StateBackendException">The storage cannot be opened.</exception>
    /// <exception cref="StateCorruptedException">The storage is damaged or of an unknown schema.</exception>
    ValueTask OpenAsync(CancellationToken cancellationToken);

    /// <summary>Every stored entry (expired ones included; the store drops them).</summary>
    IAsyncEnumerable<BackendEntry> ScanAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Applies the changes atomically (all or none), in order, and returns once they survive what
    /// <paramref name="durability"/> promises.
    /// </summary>
    /// <exception cref="StateBackendException">The changes could not be written; none of them is applied.</exception>
    ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken);
}
