namespace FlowState.Flows;

/// <summary>
/// Step history of runs: every committed step is kept as a checkpoint holding only what the step changed (a delta),
/// so a long run does not store a full copy of its state per step. Retention folds the oldest checkpoints into a base
/// state; it never drops what a kept checkpoint needs.
/// </summary>
public sealed class FlowHistoryOptions
{
    /// <summary>Keep at most this many checkpoints per run (the newest); null: all. At least 1.</summary>
    public int? MaxCheckpoints { get; set; }

    /// <summary>Fold checkpoints older than this (the newest is always kept); null: no age limit.</summary>
    public TimeSpan? MaxAge { get; set; }
}
