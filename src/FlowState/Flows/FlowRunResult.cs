using System.Text.Json.Nodes;

namespace FlowState.Flows;

/// <summary>The outcome of a completed run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Action">The action of the node that ended the flow.</param>
/// <param name="Steps">How many steps ran in this call, nested flows' included.</param>
/// <param name="State">The run's state when it completed (top-level fields; step state not included).</param>
public sealed record FlowRunResult(string RunId, string Action, long Steps, JsonObject State);
