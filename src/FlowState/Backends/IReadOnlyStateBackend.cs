namespace FlowState;

/// <summary>
/// A backend that can be opened read-only (SQLite: <c>SqliteStateBackendOptions.ReadOnly</c>; RocksDB:
/// <c>RocksDbStateBackendOptions.ReadOnly</c>). A store on a read-only backend loads what is stored and refuses every
/// write with <see cref="StateRejectedException"/>; it never writes to the storage, not even expiry purges (expired
/// entries leave memory only), and takes no writer's lock, so it can look at a store another process is writing.
/// </summary>
public interface IReadOnlyStateBackend
{
    /// <summary>Whether the backend was configured read-only.</summary>
    bool IsReadOnly { get; }
}
