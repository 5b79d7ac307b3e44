namespace FlowState;

/// <summary>
/// A worker's claim on a flow run, from <see cref="RunLeases.TryAcquireAsync"/>: while it is live no other worker can
/// claim the run, and writes fenced with it (<see cref="RunLeases.Fence"/>) are refused once another worker has taken
/// the run over.
/// </summary>
/// <param name="RunId">The run.</param>
/// <param name="Owner">The worker holding it.</param>
/// <param name="FencingToken">Increases with every acquisition and renewal of any lease of the store: a newer holder always has a higher token.</param>
/// <param name="ExpiresAt">When it lapses unless renewed.</param>
public sealed record RunLease(string RunId, string Owner, long FencingToken, DateTimeOffset ExpiresAt);
