namespace FlowState.Streaming;

/// <summary>
/// Event-time watermarks (<see cref="StreamPipelineOptions.Watermarks"/>): each source tells the processors how far event
/// time (<see cref="StreamMessage.Timestamp"/>) has got, so event-time timers — and the windows built on them — fire while
/// the pipeline runs, not only when a bounded input ends.
/// </summary>
public sealed class WatermarkOptions
{
    /// <summary>
    /// How late a message may arrive behind the latest event time its source has read (bounded out-of-orderness): a
    /// source's watermark is that latest time minus this. Messages later than the watermark are late; windows drop them.
    /// 0 by default (timestamps in order).
    /// </summary>
    public TimeSpan MaxOutOfOrderness { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// A source that has read nothing for this long (by <see cref="StreamPipelineOptions.TimeProvider"/>) is idle: it no
    /// longer holds the pipeline's watermark back until it reads again. Null (the default): a source is never idle, so one
    /// silent source stops event time for all.
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }
}
