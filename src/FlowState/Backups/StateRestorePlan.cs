namespace FlowState;

/// <summary>What restoring a backup does to a store (a dry run returns it without changing anything).</summary>
/// <param name="Backup">The backup restored (for a point in time: the newest backup at or before it).</param>
/// <param name="Changes">Every key written or deleted, ordered by scope and key.</param>
/// <param name="Unchanged">The keys the store already holds as the backup does.</param>
public sealed record StateRestorePlan(StateBackupRecord Backup, IReadOnlyList<StateRestoreChange> Changes, long Unchanged)
{
    /// <summary>The keys written that the store does not hold.</summary>
    public long Added => Changes.Count(change => change.Kind == StateRestoreChangeKind.Added);

    /// <summary>The keys written over another value or expiry.</summary>
    public long Changed => Changes.Count(change => change.Kind == StateRestoreChangeKind.Changed);

    /// <summary>The keys deleted.</summary>
    public long Removed => Changes.Count(change => change.Kind == StateRestoreChangeKind.Removed);
}
