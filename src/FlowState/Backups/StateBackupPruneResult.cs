namespace FlowState;

/// <summary>What <see cref="StateBackupCatalog.PruneAsync"/> removed (or, in a dry run, would remove) and kept.</summary>
/// <param name="Removed">The backups removed, oldest first.</param>
/// <param name="Kept">The backups kept, oldest first.</param>
public sealed record StateBackupPruneResult(IReadOnlyList<StateBackupRecord> Removed, IReadOnlyList<StateBackupRecord> Kept);
