namespace FlowState.Streaming;

/// <summary>What a pipeline has done and holds (the state manager's statistics).</summary>
public sealed record StreamStatistics
{
    /// <summary>Messages read from the sources since the pipeline was created.</summary>
    public required long MessagesRead { get; init; }

    /// <summary>Messages the first processor has processed since the pipeline was created.</summary>
    public required long MessagesProcessed { get; init; }

    /// <summary>Messages handed to the sinks since the pipeline was created.</summary>
    public required long MessagesWritten { get; init; }

    /// <summary>Checkpoints completed since the pipeline was created.</summary>
    public required long CheckpointsCompleted { get; init; }

    /// <summary>Checkpoints that could not be stored and were skipped (<see cref="StreamPipelineOptions.TolerableCheckpointFailures"/>).</summary>
    public long CheckpointsFailed { get; init; }

    /// <summary>The latest complete checkpoint (restored or taken), if any.</summary>
    public long? LastCheckpointId { get; init; }

    /// <summary>When the latest checkpoint this pipeline took was started (its manifest's time); null before the first.</summary>
    public DateTimeOffset? LastCheckpointAt { get; init; }

    /// <summary>How long the latest checkpoint taken by this pipeline took, barrier to manifest.</summary>
    public TimeSpan? LastCheckpointDuration { get; init; }

    /// <summary>Bytes of state files of the latest checkpoint taken.</summary>
    public long? LastCheckpointBytes { get; init; }

    /// <summary>Entries and tombstones in the latest checkpoint taken.</summary>
    public long? LastCheckpointEntries { get; init; }

    /// <summary>Whether the latest checkpoint taken was an increment.</summary>
    public bool? LastCheckpointIncremental { get; init; }

    /// <summary>Sink transactions open or pre-committed and not yet committed.</summary>
    public required int ActiveTransactions { get; init; }

    /// <summary>Live entries of the pipeline's state.</summary>
    public required long StateEntries { get; init; }

    /// <summary>Bytes of the pipeline's state.</summary>
    public required long StateBytes { get; init; }
}
