namespace FlowState;

/// <summary>Thresholds of the FlowState health check (<see cref="FlowStateHealthChecksBuilderExtensions.AddFlowStateHealthChecks"/>).</summary>
public sealed class FlowStateHealthCheckOptions
{
    /// <summary>How long a shared store's server may take to answer the check's read before it counts as down (default 5 s).</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The share of <see cref="StateStoreOptions.MaxPendingCommits"/> waiting for the backend at which the store counts as degraded (default 0.8).</summary>
    public double PendingCommitsDegradedFraction { get; set; } = 0.8;
}
