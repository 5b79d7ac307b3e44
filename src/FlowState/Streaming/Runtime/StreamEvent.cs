namespace FlowState.Streaming;

/// <summary>What flows along one edge of a running pipeline: batches, checkpoint barriers, watermarks and end markers.</summary>
internal abstract class StreamEvent
{
    /// <summary>Every input of the sender has ended; what follows are only barriers and <see cref="End"/>.</summary>
    public static readonly StreamEvent EndOfInput = new Marker();

    /// <summary>The sender sends nothing more.</summary>
    public static readonly StreamEvent End = new Marker();

    public sealed class Batch(IReadOnlyList<StreamMessage> messages) : StreamEvent
    {
        public IReadOnlyList<StreamMessage> Messages { get; } = messages;
    }

    public sealed class Barrier(long checkpointId) : StreamEvent
    {
        public long CheckpointId { get; } = checkpointId;
    }

    /// <summary>Event time has reached <see cref="Ticks"/> (UTC) on the sender's inputs; <see cref="Idle"/>: they are all idle (the furthest of them got there).</summary>
    public sealed class Watermark(long ticks, bool idle) : StreamEvent
    {
        public long Ticks { get; } = ticks;

        public bool Idle { get; } = idle;
    }

    private sealed class Marker : StreamEvent;
}
