namespace FlowState;

/// <summary>One backup in a <see cref="StateBackupCatalog"/>, as its catalog records it.</summary>
/// <param name="Id">The backup's number in its catalog (1, 2, …; never reused).</param>
/// <param name="Kind">Full or incremental.</param>
/// <param name="BaseId">The backup an incremental one is based on (null for a full one).</param>
/// <param name="FromVersion">The store version its base holds (0 for a full backup): it holds the changes after it.</param>
/// <param name="Version">The store version it holds: every write up to it, none after.</param>
/// <param name="CreatedAt">When it was taken (UTC).</param>
/// <param name="Entries">The entries written in it (every live entry, or those changed since the base).</param>
/// <param name="Deletions">The keys it records as deleted since its base (0 for a full backup).</param>
/// <param name="LiveEntries">The store's live entries at <paramref name="Version"/>: what a restore of it yields.</param>
/// <param name="Bytes">The size of its file.</param>
/// <param name="Sha256">The SHA-256 of its content (hexadecimal), checked by verify and restore.</param>
/// <param name="Source">The store it was taken from (the backend's description, or the in-memory store's name).</param>
/// <param name="Label">Why it was taken, where it says (a safety backup names the restore it preceded).</param>
public sealed record StateBackupRecord(
    long Id,
    StateBackupKind Kind,
    long? BaseId,
    long FromVersion,
    long Version,
    DateTimeOffset CreatedAt,
    long Entries,
    long Deletions,
    long LiveEntries,
    long Bytes,
    string Sha256,
    string Source,
    string? Label)
{
    /// <summary>
    /// The SHA-256 of a full backup's key list (the keys, versions and expiry the incremental backups built on it start
    /// from); empty for an incremental backup, whose keys are its chain's.
    /// </summary>
    public string KeysSha256 { get; init; } = string.Empty;
}
