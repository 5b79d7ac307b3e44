namespace FlowState.Flows;

/// <summary>A node of a <see cref="FlowGraph"/>.</summary>
/// <param name="Name">The node's name, unique in its flow.</param>
/// <param name="Kind">What it is: <c>node</c>, <c>batch</c>, <c>flow</c> (a nested flow), <c>batch-flow</c> or <c>parallel</c>.</param>
/// <param name="Subflows">The flows it runs inside its step (a nested flow, a batch flow's flow, a parallel node's branches); empty for plain nodes.</param>
public sealed record FlowGraphNode(string Name, string Kind, IReadOnlyList<FlowGraph> Subflows);
