namespace FlowState.Flows;

/// <summary>A connection of a <see cref="FlowGraph"/>: after <paramref name="From"/> returned <paramref name="Action"/>, <paramref name="To"/> runs.</summary>
/// <param name="From">The node that returned the action.</param>
/// <param name="Action">The action.</param>
/// <param name="To">The node that runs next.</param>
public sealed record FlowGraphEdge(string From, string Action, string To);
