namespace FlowState.Flows;

/// <summary>Options of a <see cref="FlowRunner"/>.</summary>
public sealed class FlowRunnerOptions
{
    /// <summary>
    /// Commit each step's progress (next node, step count) with its writes, so that <see cref="FlowRunner.ResumeAsync"/>
    /// can continue a run. Null (default): when the store has a backend or <see cref="History"/> is on.
    /// </summary>
    public bool? RecordProgress { get; set; }

    /// <summary>
    /// Keep each run's steps as checkpoints (<see cref="FlowRunner.GetHistoryAsync"/>, <see cref="FlowRunner.GetStateAtAsync"/>);
    /// null (default): no history. A completed run's history is deleted with its state unless the run is retained.
    /// </summary>
    public FlowHistoryOptions? History { get; set; }

    /// <summary>Keep a completed run's state and record (default false: a completed run's state is deleted).</summary>
    public bool RetainCompletedRuns { get; set; }

    /// <summary>
    /// How long a retained completed run is kept (null, the default: until deleted or pruned). When its run completes,
    /// every key of the run — its state, steps' state, history and record — gets this time to live, so the store's
    /// expiry removes the run whole: a store running runs without end keeps a flat size. <see cref="FlowRunOptions.RetainFor"/>
    /// sets it per run.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan? CompletedRunRetention
    {
        get;
        set => field = value is { } retention && retention <= TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(nameof(value), retention, "CompletedRunRetention must be positive (or null to keep completed runs).")
            : value;
    }

    /// <summary>
    /// When runs' steps are made durable (default <see cref="FlowRunDurability.Sync"/>); <see cref="FlowRunOptions.Durability"/>
    /// sets it per run.
    /// </summary>
    public FlowRunDurability Durability { get; set; } = FlowRunDurability.Sync;

    /// <summary>
    /// How many times a post runs again when a concurrent writer changed a key it had read (default 100); between
    /// tries it waits a random, growing time of at most 50 ms.
    /// </summary>
    public int MaxPostConflictRetries { get; set; } = 100;

    /// <summary>
    /// Events a watcher of a run (<see cref="FlowRunner.WatchAsync"/>) may have unread (default 1,024). A watcher that
    /// falls that far behind makes the run wait: no event is ever dropped.
    /// </summary>
    public int EventBufferCapacity { get; set; } = 1024;

    /// <summary>
    /// The largest value, in UTF-8 bytes, that a step event carries (<see cref="FlowKeyChange"/>; default 4,096); a
    /// larger one is given by its size only.
    /// </summary>
    public int EventValueLimit { get; set; } = 4096;
}
