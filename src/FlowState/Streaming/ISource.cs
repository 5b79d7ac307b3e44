namespace FlowState.Streaming;

/// <summary>
/// A replayable input: it reads batches of messages, reports the position after the last message it returned, and can
/// be moved back to a position recorded by a checkpoint. Called by one pipeline task at a time.
/// </summary>
public interface ISource : IAsyncDisposable
{
    /// <summary>Names the source in checkpoints (its offset is stored under this name) and in errors; unique per pipeline.</summary>
    string Name { get; }

    /// <summary>
    /// The position after the last message returned by <see cref="ReadAsync"/>, as the source writes it
    /// (a byte offset, a stream id); null before anything was read from the beginning.
    /// </summary>
    string? Offset { get; }

    /// <summary>Moves to <paramref name="offset"/> (a value of <see cref="Offset"/>), or to the beginning when null.</summary>
    /// <exception cref="StreamSourceException">The offset is not one this source can seek to.</exception>
    ValueTask SeekAsync(string? offset, CancellationToken cancellationToken);

    /// <summary>Reads up to <paramref name="maxMessages"/> messages; returns an empty batch when there is nothing now.</summary>
    /// <exception cref="StreamSourceException">The input cannot be read or a message is malformed.</exception>
    ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken);
}
