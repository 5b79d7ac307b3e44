namespace FlowState.Flows;

/// <summary>Which runs <see cref="FlowRunner.PruneRunsAsync"/> deletes: every condition given must hold.</summary>
public sealed class FlowRunPruneOptions
{
    /// <summary>Runs not updated for at least this long (by the store's clock); null: any age.</summary>
    public TimeSpan? OlderThan { get; init; }

    /// <summary>
    /// Runs in one of these states (default: <see cref="FlowRunStatus.Completed"/> and <see cref="FlowRunStatus.Failed"/>).
    /// A run that is running in this runner's process is never deleted, whatever is listed here.
    /// </summary>
    public IReadOnlyCollection<FlowRunStatus> Statuses { get; init; } = [FlowRunStatus.Completed, FlowRunStatus.Failed];

    /// <summary>Per flow, the most recently updated runs that match are kept, this many of them; null: none kept.</summary>
    public int? KeepLast { get; init; }

    /// <summary>Only runs of this flow; null: runs of every flow.</summary>
    public string? Flow { get; init; }

    /// <summary>List what would be deleted, deleting nothing.</summary>
    public bool DryRun { get; init; }
}
