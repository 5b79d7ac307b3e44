namespace FlowState.Streaming;

/// <summary>The timers of one key, as kept in state: event-time and processing-time ticks (UTC), in order.</summary>
internal sealed record TimerSet(List<long> EventTime, List<long> ProcessingTime);
