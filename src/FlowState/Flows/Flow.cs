namespace FlowState.Flows;

/// <summary>
/// A validated graph of nodes connected by actions, built with <see cref="FlowBuilder"/>. Run it with
/// <see cref="FlowRunner"/>, or use it as a node of another flow (a nested flow, whose action is the one its last
/// node returned). A flow ends when a node without outgoing connections completes.
/// </summary>
public sealed class Flow : FlowNode
{
    private readonly Dictionary<string, FlowNode> _nodes;
    private readonly Dictionary<FlowNode, Dictionary<string, FlowNode>> _successors;
    private FlowGraph? _graph;

    internal Flow(
        string name,
        FlowNode start,
        Dictionary<string, FlowNode> nodes,
        Dictionary<FlowNode, Dictionary<string, FlowNode>> successors,
        int maxSteps,
        IReadOnlyDictionary<string, FlowReducer> reducers,
        TimeSpan? completedRunRetention)
        : base(name)
    {
        Start = start;
        _nodes = nodes;
        _successors = successors;
        MaxSteps = maxSteps;
        Reducers = reducers;
        CompletedRunRetention = completedRunRetention;
    }

    /// <summary>
    /// How long this flow's completed runs are kept (<see cref="FlowBuilder.WithCompletedRunRetention"/>); null: as
    /// the runner says (<see cref="FlowRunnerOptions.CompletedRunRetention"/>).
    /// </summary>
    public TimeSpan? CompletedRunRetention { get; }

    /// <summary>The run fields whose sets combine with their value (<see cref="FlowBuilder.WithReducer"/>), by field name.</summary>
    public IReadOnlyDictionary<string, FlowReducer> Reducers { get; }

    /// <summary>The node a run starts with.</summary>
    public FlowNode Start { get; }

    /// <summary>The flow's nodes by name.</summary>
    public IReadOnlyDictionary<string, FlowNode> Nodes => _nodes;

    /// <summary>How many steps one run of this flow may take before it fails (a guard against endless loops).</summary>
    public int MaxSteps { get; }

    /// <summary>The actions of <paramref name="nodeName"/> and the node each leads to.</summary>
    /// <exception cref="KeyNotFoundException">The flow has no such node.</exception>
    public IReadOnlyDictionary<string, string> ActionsOf(string nodeName) =>
        _successors.TryGetValue(_nodes[nodeName], out var next) ? next.ToDictionary(p => p.Key, p => p.Value.Name, StringComparer.Ordinal) : [];

    /// <summary>The flow as data: its nodes (the start first), the actions connecting them, and nested flows' graphs.</summary>
    public FlowGraph ToGraph() => _graph ??= BuildGraph();

    /// <summary>The names of this flow's nodes and of the nodes of every flow inside it (nested flows, branches, batches).</summary>
    internal IEnumerable<string> AllNodeNames()
    {
        foreach (var (name, node) in _nodes)
        {
            yield return name;
            IEnumerable<Flow> inner = node switch
            {
                Flow nested => [nested],
                BatchFlow batch => [batch.Flow],
                ParallelNode parallel => parallel.Branches,
                _ => [],
            };
            foreach (var flow in inner)
            {
                foreach (var innerName in flow.AllNodeNames())
                {
                    yield return innerName;
                }
            }
        }
    }

    /// <summary>The node after <paramref name="node"/> took <paramref name="action"/>; null when <paramref name="node"/> ends the flow.</summary>
    /// <exception cref="FlowRouteException"><paramref name="node"/> has connections, none for <paramref name="action"/>.</exception>
    internal FlowNode? Next(FlowNode node, string action, string runId)
    {
        if (!_successors.TryGetValue(node, out var next))
        {
            return null;
        }

        if (next.TryGetValue(action, out var target))
        {
            return target;
        }

        throw new FlowRouteException(runId, node.Name, action, [.. next.Keys.Order(StringComparer.Ordinal)]);
    }

    private FlowGraph BuildGraph()
    {
        var nodes = new List<FlowGraphNode>(_nodes.Count);
        foreach (var node in _nodes.Values.OrderBy(n => n == Start ? 0 : 1))
        {
            nodes.Add(node switch
            {
                Flow nested => new FlowGraphNode(node.Name, "flow", [nested.ToGraph()]),
                BatchFlow batch => new FlowGraphNode(node.Name, "batch-flow", [batch.Flow.ToGraph()]),
                ParallelNode parallel => new FlowGraphNode(node.Name, "parallel", [.. parallel.Branches.Select(b => b.ToGraph())]),
                _ when IsBatchNode(node.GetType()) => new FlowGraphNode(node.Name, "batch", []),
                _ => new FlowGraphNode(node.Name, "node", []),
            });
        }

        var edges = new List<FlowGraphEdge>();
        foreach (var node in nodes)
        {
            if (_successors.TryGetValue(_nodes[node.Name], out var next))
            {
                edges.AddRange(next.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new FlowGraphEdge(node.Name, p.Key, p.Value.Name)));
            }
        }

        return new FlowGraph(Name, Start.Name, nodes, edges);
    }

    private static bool IsBatchNode(Type type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.IsGenericType && current.GetGenericTypeDefinition() == typeof(BatchNode<,>))
            {
                return true;
            }
        }

        return false;
    }

    internal override ValueTask<string> RunStepAsync(StepInvocation step) =>
        step.RunChildrenAsync(async (invocation, cancellationToken) =>
            await invocation.Run.RunFrameAsync(this, invocation.ChildFrameId(0), invocation.Params, cancellationToken).ConfigureAwait(false));
}
