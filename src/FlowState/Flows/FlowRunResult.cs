using System.Text.Json.Nodes;

namespace FlowState.Flows;

/// <summary>The outcome of a run that completed or was interrupted for input.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Action">The action of the node that ended the flow; null when the run was interrupted.</param>
/// <param name="Steps">How many steps ran in this call, nested flows' included.</param>
/// <param name="State">The run's state when it completed or stopped (top-level fields; step state not included).</param>
public sealed record FlowRunResult(string RunId, string? Action, long Steps, JsonObject State)
{
    /// <summary><see cref="FlowRunStatus.Completed"/>, or <see cref="FlowRunStatus.Interrupted"/> when a node asked for input.</summary>
    public FlowRunStatus Status { get; init; } = FlowRunStatus.Completed;

    /// <summary>Why the run was interrupted (the node's reason), when it was.</summary>
    public string? InterruptReason { get; init; }
}
