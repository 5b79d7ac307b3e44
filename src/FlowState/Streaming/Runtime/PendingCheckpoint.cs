using System.Collections.Concurrent;
using System.Diagnostics;
using FlowState.Checkpoints;

namespace FlowState.Streaming;

/// <summary>One checkpoint between its barrier request and its manifest: the acknowledgements it still waits for.</summary>
internal sealed class PendingCheckpoint(long id, bool full, long? parentId, long baseId, int chainLength, int expectedAcks, string dataKey)
{
    private int _remaining = expectedAcks;

    public long Id { get; } = id;

    public bool Full { get; } = full;

    public long? ParentId { get; } = parentId;

    public long BaseId { get; } = baseId;

    public int ChainLength { get; } = chainLength;

    public string DataKey { get; } = dataKey;

    public Stopwatch Elapsed { get; } = Stopwatch.StartNew();

    public ConcurrentDictionary<string, string?> SourceOffsets { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string?> SinkHandles { get; } = new(StringComparer.Ordinal);

    public ConcurrentBag<Task<CheckpointFile>> FileWrites { get; } = [];

    public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Counts one acknowledgement; true for the last one.</summary>
    public bool Acknowledge() => Interlocked.Decrement(ref _remaining) == 0;

    /// <summary>Every acknowledgement arrived: the checkpoint is being completed and ends with its own result.</summary>
    public bool AllAcknowledged => Volatile.Read(ref _remaining) <= 0;
}
