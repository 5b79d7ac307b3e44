namespace FlowState.Streaming;

/// <summary>
/// An output. A plain sink is at-least-once: after a recovery it may receive again what it received after the last
/// checkpoint. For exactly-once output derive from <see cref="TwoPhaseCommitSink"/>.
/// </summary>
public interface ISink : IAsyncDisposable
{
    /// <summary>Names the sink in checkpoints and errors; unique per pipeline.</summary>
    string Name { get; }

    /// <summary>Writes messages (from any partition; each partition's messages in order).</summary>
    ValueTask WriteAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken);

    /// <summary>Makes everything written so far durable and visible; called at every checkpoint barrier and at the end.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);
}
