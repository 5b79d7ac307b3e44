namespace FlowState;

/// <summary>
/// A backend whose state lives in local files (SQLite, RocksDB). The store keeps a high-water mark for it in a small
/// file of its own at <see cref="HighWaterMarkPath"/>, beside the storage: the highest version the backend
/// acknowledged. A storage that opens older than its mark (a log cut short, an older copy of the files put in place)
/// is refused with <see cref="StateCorruptedException"/> instead of silently going back in time.
/// </summary>
public interface IHighWaterMarkedStateBackend
{
    /// <summary>Where the store keeps the mark: outside the backend's own files, so that replacing them leaves it.</summary>
    string HighWaterMarkPath { get; }
}
