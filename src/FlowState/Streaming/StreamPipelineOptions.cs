namespace FlowState.Streaming;

/// <summary>How a <see cref="StreamPipeline"/> runs and checkpoints.</summary>
public sealed class StreamPipelineOptions
{
    /// <summary>Names the pipeline: its state scope (<c>custom:stream:{name}:</c>), checkpoints and logs.</summary>
    public string Name { get; set; } = "pipeline";

    /// <summary>Partitions per processor, processed in parallel; 1 by default.</summary>
    public int Partitions { get; set; } = 1;

    /// <summary>Most messages a source returns per read.</summary>
    public int BatchSize { get; set; } = 1024;

    /// <summary>Batches in flight on each edge between two operators before the sender waits (backpressure).</summary>
    public int ChannelCapacity { get; set; } = 4;

    /// <summary>Time between periodic checkpoints (<c>checkpoint_interval_ms</c>); null: only on demand and at the end.</summary>
    public TimeSpan? CheckpointInterval { get; set; }

    /// <summary>Every K-th checkpoint of a chain is full; the ones between are increments of the changed keys only.</summary>
    public int FullCheckpointEvery { get; set; } = 10;

    /// <summary>Complete checkpoints kept (<c>retained_checkpoints</c>), plus whatever earlier ones they build on.</summary>
    public int RetainedCheckpoints { get; set; } = 3;

    /// <summary>
    /// Requires exactly-once output: checkpoint storage and only <see cref="TwoPhaseCommitSink"/> sinks, else building the
    /// pipeline fails with a <see cref="StreamDefinitionException"/>.
    /// </summary>
    public bool ExactlyOnce { get; set; }

    /// <summary>
    /// Checkpoints in a row that may fail to be stored (a state file or the manifest could not be written) before the
    /// run fails; 0 (the default) fails the run at the first. A tolerated failure is skipped: whoever asked for that
    /// checkpoint gets a <see cref="CheckpointException"/>, the run goes on, the next checkpoint is a full one, and the
    /// sink transactions the failed one pre-committed are committed with the next that completes. The final checkpoint
    /// of a bounded run is never skipped.
    /// </summary>
    public int TolerableCheckpointFailures { get; set; }

    /// <summary>
    /// How long a checkpoint may wait for its acknowledgements (<c>checkpoint_timeout_ms</c>; default 10 minutes,
    /// <see cref="Timeout.InfiniteTimeSpan"/>: forever): a checkpoint some operator does not acknowledge in time — a sink
    /// stalled in its flush or pre-commit, a processor stuck on a batch — is abandoned and counts as a failed checkpoint
    /// under <see cref="TolerableCheckpointFailures"/>. Its late acknowledgements are ignored, except the sink
    /// transactions it pre-committed, which the next complete checkpoint commits. Once every acknowledgement arrived,
    /// the checkpoint is being stored and the timeout no longer applies.
    /// </summary>
    public TimeSpan CheckpointTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Event-time watermarks, so that event-time timers and windows fire while the pipeline runs; null (the default):
    /// none flow, and event-time timers fire only when a bounded input ends.
    /// </summary>
    public WatermarkOptions? Watermarks { get; set; }

    /// <summary>How long a source that had nothing waits before reading again.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Makes the meter the pipeline records on (<see cref="FlowStateMetrics"/>). Null: its state store's
    /// (<see cref="StateStoreOptions.MeterFactory"/>).
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>The clock of checkpoint manifests' times, checkpoint timeouts and the pipeline's traces; inject a fake one in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>A copy, so that a builder's changes never reach the caller's options.</summary>
    internal StreamPipelineOptions Clone() => (StreamPipelineOptions)MemberwiseClone();
}
