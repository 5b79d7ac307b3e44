namespace FlowState.Streaming;

/// <summary>A session of one key: events no further apart than the gap.</summary>
/// <param name="Key">The key.</param>
/// <param name="Start">The first event's time.</param>
/// <param name="End">The last event's time.</param>
/// <param name="Events">Events in the session.</param>
public sealed record Session(string Key, DateTimeOffset Start, DateTimeOffset End, long Events);
