namespace FlowState;

/// <summary>
/// A worker's claim on a flow run, from <see cref="RunLeases.TryAcquireAsync"/>: while it is live no other worker can
/// claim the run, and writes fenced with it (<see cref="RunLeases.Fence"/>) are refused once another worker has
/// claimed the run.
/// </summary>
/// <param name="RunId">The run.</param>
/// <param name="Owner">The worker holding it.</param>
/// <param name="FencingToken">
/// Set when the lease is acquired and kept by renewals; a later holder of the run always has a higher one.
/// </param>
/// <param name="ExpiresAt">When it lapses unless renewed.</param>
public sealed record RunLease(string RunId, string Owner, long FencingToken, DateTimeOffset ExpiresAt)
{
    /// <summary>The version of the lease entry this holder last wrote (renewals check it).</summary>
    internal long LeaseVersion { get; init; }
}
