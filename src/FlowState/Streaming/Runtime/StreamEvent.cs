namespace FlowState.Streaming;

/// <summary>What flows along one edge of a running pipeline: batches, checkpoint barriers and end markers.</summary>
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

    private sealed class Marker : StreamEvent;
}
