namespace FlowState.Streaming;

/// <summary>
/// A source whose input must be told when it has been taken for good — a message broker's consumer that acknowledges
/// messages, so the broker stops redelivering them and may delete them. The pipeline calls
/// <see cref="AcknowledgeAsync"/> once a checkpoint holding the offset is stored and the sink transactions it names are
/// committed; until then the input keeps what the source read, so a crash loses nothing.
/// </summary>
public interface IAcknowledgingSource : ISource
{
    /// <summary>
    /// Acknowledges everything up to <paramref name="offset"/> (a value of <see cref="ISource.Offset"/> a completed
    /// checkpoint recorded). May run while <see cref="ISource.ReadAsync"/> does. A failure is logged and the run goes
    /// on: the checkpoint already holds the position, and the next completed checkpoint acknowledges past it.
    /// </summary>
    ValueTask AcknowledgeAsync(string offset, CancellationToken cancellationToken);
}
