namespace FlowState;

/// <summary>What a complete backup records about itself: when it was finished, how many entries it holds, and what it copied.</summary>
/// <param name="CompletedAt">When the backup was finished (UTC).</param>
/// <param name="Entries">The stored rows it holds (entries, and changes not yet folded into them), where the backend counts them (SQLite); null where it records its files instead (RocksDB).</param>
/// <param name="Source">The store it is a copy of (a file or folder path).</param>
public sealed record StateBackupInfo(DateTimeOffset CompletedAt, long? Entries, string Source);
