namespace FlowState.Streaming;

/// <summary>How a processor's keyed state (<see cref="ProcessorContext.ValueState{T}"/> and the others) keeps its values.</summary>
public sealed record KeyedStateOptions
{
    /// <summary>
    /// How long a key's value lives after it was last written (or read, with <see cref="RefreshOnRead"/>); null (the
    /// default): until it is cleared. An expired value reads as absent and leaves the state, and the next checkpoint.
    /// </summary>
    public TimeSpan? TimeToLive { get; init; }

    /// <summary>Whether a read renews <see cref="TimeToLive"/> too (default false: only writes do).</summary>
    public bool RefreshOnRead { get; init; }
}
