using System.Diagnostics;

namespace FlowState.Flows;

/// <summary>Tracing of flow runs: an activity per run (<c>flow.run</c>) and per step (<c>flow.step</c>).</summary>
public static class FlowDiagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> to listen to.</summary>
    public const string ActivitySourceName = "FlowState.Flows";

    internal static ActivitySource Source { get; } = new(ActivitySourceName);
}
