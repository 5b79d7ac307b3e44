namespace FlowState;

/// <summary>
/// Which backups <see cref="StateBackupCatalog.PruneAsync"/> keeps: the newest <see cref="KeepLast"/>, those younger
/// than <see cref="KeepFor"/>, and every backup a kept incremental one is based on (a chain is never broken). The
/// newest backup is always kept.
/// </summary>
public sealed record StateBackupRetention
{
    /// <summary>Keep the newest this many backups (null: the count does not keep any).</summary>
    public int? KeepLast { get; init; }

    /// <summary>Keep the backups taken within this duration of now (null: age does not keep any).</summary>
    public TimeSpan? KeepFor { get; init; }
}
