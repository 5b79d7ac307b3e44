namespace FlowState.Sqlite;

/// <summary>One readable record of a write-ahead log file.</summary>
/// <param name="Sequence">Its sequence number.</param>
/// <param name="Changes">The changes of the commit it holds.</param>
/// <param name="PriorOnDisk">Whether every earlier record was on disk before it was written.</param>
/// <param name="File">The log file holding it (0 or 1).</param>
/// <param name="End">The byte offset just past it in that file.</param>
internal sealed record SqliteLogRecord(long Sequence, IReadOnlyList<BackendChange> Changes, bool PriorOnDisk, int File, long End);
