using System.Collections.Concurrent;
using System.Diagnostics;
using FlowState.Checkpoints;

namespace FlowState.Streaming;

/// <summary>One checkpoint between its barrier request and its manifest: the acknowledgements it still waits for.</summary>
internal sealed class PendingCheckpoint(long id, bool full, long? parentId, long baseId, int chainLength, int expectedAcks, string dataKey)
{
    private const int Running = 0;
    private const int Completing = 1;
    private const int Abandoned = 2;
    private int _remaining = expectedAcks;
    private int _state;

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

    /// <summary>Counts one acknowledgement; true for the last one of a checkpoint not abandoned (its caller completes it).</summary>
    public bool Acknowledge() =>
        Interlocked.Decrement(ref _remaining) == 0 && Interlocked.CompareExchange(ref _state, Completing, Running) == Running;

    /// <summary>Gives the checkpoint up (it timed out); false when every acknowledgement already arrived and it is being completed.</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Running) == Running;

    /// <summary>Every acknowledgement arrived: the checkpoint is being completed and ends with its own result.</summary>
    public bool AllAcknowledged => Volatile.Read(ref _state) == Completing;

    /// <summary>The checkpoint timed out and was given up; its late acknowledgements are ignored.</summary>
    public bool IsAbandoned => Volatile.Read(ref _state) == Abandoned;

    /// <summary>What it still waits for, for the timeout's error: the number of acknowledgements missing.</summary>
    public int Missing => Math.Max(0, Volatile.Read(ref _remaining));
}
