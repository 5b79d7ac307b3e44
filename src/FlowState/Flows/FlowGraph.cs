namespace FlowState.Flows;

/// <summary>
/// The shape of a flow as data: its nodes and the actions connecting them. A run records the graph of the flow it
/// started with (<see cref="FlowRunner.GetGraphAsync"/>), so that tools can draw a run without the flow's code.
/// </summary>
/// <param name="Name">The flow's name.</param>
/// <param name="Start">The node a run starts with.</param>
/// <param name="Nodes">The nodes: the start first, then the others in the order they were added.</param>
/// <param name="Edges">The connections: a node, the action it returned, the node that runs next.</param>
public sealed record FlowGraph(string Name, string Start, IReadOnlyList<FlowGraphNode> Nodes, IReadOnlyList<FlowGraphEdge> Edges);
