namespace FlowState.Streaming;

/// <summary>
/// Turns a batch of messages into output messages, keeping what it must remember in <see cref="ProcessorContext.State"/>
/// (keyed state, checkpointed with the pipeline). One instance serves every partition at once, so it keeps no state of
/// its own in fields.
/// </summary>
public interface IProcessor
{
    /// <summary>Names the processor: its state scope, checkpoint files and errors; unique per pipeline.</summary>
    string Name { get; }

    /// <summary>Processes messages of one partition, in their order; returns the messages to pass on.</summary>
    ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Called once per partition when every input has ended (a bounded run finishes), before the final checkpoint;
    /// returns messages to emit last (e.g. the sessions still open). The default emits nothing.
    /// </summary>
    ValueTask<IReadOnlyList<StreamMessage>> CompleteAsync(ProcessorContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<StreamMessage>>([]);

    /// <summary>
    /// Called when a timer registered through <see cref="ProcessorContext.Timers"/> fires, in the partition that owns its
    /// key, between batches (never during one); returns messages to pass on. Event-time timers fire in time order when
    /// the watermark reaches them, and every one left fires when a bounded input ends (before
    /// <see cref="CompleteAsync"/>). The default emits nothing.
    /// </summary>
    ValueTask<IReadOnlyList<StreamMessage>> OnTimerAsync(StreamTimer timer, ProcessorContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<StreamMessage>>([]);
}
