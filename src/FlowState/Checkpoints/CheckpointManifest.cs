namespace FlowState.Checkpoints;

/// <summary>
/// What a complete checkpoint holds: source offsets, the files of operator state (one per processor and partition), the
/// sink transactions to commit, and where it sits in its chain of increments.
/// </summary>
public sealed record CheckpointManifest
{
    /// <summary>The checkpoint id (ids only grow, across restarts).</summary>
    public required long Id { get; init; }

    /// <summary>The pipeline that wrote it.</summary>
    public required string PipelineName { get; init; }

    /// <summary>When the checkpoint completed.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>True when the state files hold only keys changed since <see cref="ParentId"/> (deletions as tombstones).</summary>
    public required bool Incremental { get; init; }

    /// <summary>The checkpoint this one is an increment on; null for a full checkpoint.</summary>
    public long? ParentId { get; init; }

    /// <summary>The full checkpoint at the root of this one's chain (itself when full).</summary>
    public required long BaseId { get; init; }

    /// <summary>Checkpoints in the chain from the base to this one, both included.</summary>
    public required int ChainLength { get; init; }

    /// <summary>Partitions per processor when it was taken.</summary>
    public required int PartitionCount { get; init; }

    /// <summary>The processors, in pipeline order.</summary>
    public required IReadOnlyList<string> Processors { get; init; }

    /// <summary>Where its files are in the checkpoint storage.</summary>
    public required string DataKey { get; init; }

    /// <summary>The state files.</summary>
    public required IReadOnlyList<CheckpointFile> Files { get; init; }

    /// <summary>Each source's offset at the checkpoint's barrier (null: the beginning).</summary>
    public required IReadOnlyDictionary<string, string?> SourceOffsets { get; init; }

    /// <summary>Each two-phase-commit sink's pre-committed transactions, committed once this checkpoint is complete.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> SinkTransactions { get; init; }

    /// <summary>From the first barrier to the manifest, in milliseconds.</summary>
    public required double DurationMilliseconds { get; init; }

    /// <summary>Entries (and tombstones) written in this checkpoint's files.</summary>
    public long Entries => Files.Sum(f => f.Entries);

    /// <summary>Bytes written in this checkpoint's files.</summary>
    public long Bytes => Files.Sum(f => f.Bytes);
}
