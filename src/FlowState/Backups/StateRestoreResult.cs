namespace FlowState;

/// <summary>What <see cref="StateBackupCatalog.RestoreAsync"/> did.</summary>
/// <param name="Plan">The changes written, in one atomic batch.</param>
/// <param name="SafetyBackup">The backup of the store's state taken just before (null when it was not asked for).</param>
public sealed record StateRestoreResult(StateRestorePlan Plan, StateBackupRecord? SafetyBackup);
