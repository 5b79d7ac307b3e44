using System.Diagnostics;

namespace FlowState;

/// <summary>
/// The <see cref="ActivitySource"/> <c>FlowState</c>: a span per backend transaction of a store
/// (<c>flowstate.commit</c>: tags <c>flowstate.store</c>, <c>flowstate.backend</c>, <c>flowstate.durability</c>,
/// <c>flowstate.commit.group_size</c>, <c>flowstate.commit.changes</c>; status error with the exception when it fails)
/// and per completed stream checkpoint (<c>flowstate.checkpoint</c>: <c>flowstate.pipeline</c>,
/// <c>flowstate.checkpoint.id</c>, <c>flowstate.checkpoint.kind</c>, <c>flowstate.checkpoint.entries</c>,
/// <c>flowstate.checkpoint.bytes</c>). Flow runs and steps have their own source, <see cref="Flows.FlowDiagnostics.ActivitySourceName"/>.
/// Nothing is recorded while no listener samples the source.
/// </summary>
public static class FlowStateActivities
{
    /// <summary>The name of the source to listen to: <c>FlowState</c>.</summary>
    public const string SourceName = "FlowState";

    internal static ActivitySource Source { get; } = new(SourceName);
}
