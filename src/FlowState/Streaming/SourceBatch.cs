namespace FlowState.Streaming;

/// <summary>What one read of a source returned.</summary>
/// <param name="Messages">The messages, in source order; may be empty.</param>
/// <param name="EndOfStream">True when the source has nothing more and never will (a bounded input was read to its end).</param>
public sealed record SourceBatch(IReadOnlyList<StreamMessage> Messages, bool EndOfStream)
{
    /// <summary>No messages now; more may come later.</summary>
    public static SourceBatch Empty { get; } = new([], false);

    /// <summary>No messages, and none will ever come.</summary>
    public static SourceBatch End { get; } = new([], true);
}
