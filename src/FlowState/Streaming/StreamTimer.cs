namespace FlowState.Streaming;

/// <summary>A timer that fired: the key it was registered for, its time and its clock.</summary>
/// <param name="Key">The key the timer belongs to (its partition's).</param>
/// <param name="Time">The time it was registered for.</param>
/// <param name="Domain">The clock it follows.</param>
public sealed record StreamTimer(string Key, DateTimeOffset Time, StreamTimeDomain Domain);
