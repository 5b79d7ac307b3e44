using System.Diagnostics;

namespace FlowState.Flows;

/// <summary>
/// Tracing of flow runs: an activity per run (<c>flow.run</c>, tags <c>flowstate.run_id</c>, <c>flowstate.flow</c>,
/// events <c>run.started</c>, <c>run.completed</c>, <c>run.failed</c>, <c>run.cancelled</c>) and per step
/// (<c>flow.step</c>, child of its run, tags <c>flowstate.node</c>, <c>flowstate.step</c>, <c>flowstate.action</c>;
/// error status when the step failed).
/// </summary>
public static class FlowDiagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> to listen to.</summary>
    public const string ActivitySourceName = "FlowState.Flows";

    internal static ActivitySource Source { get; } = new(ActivitySourceName);
}
