namespace FlowState.Flows;

/// <summary>
/// Builds a <see cref="Flow"/>: add nodes, connect them by action, choose the start (default: the first node added),
/// then <see cref="Build"/> checks the graph.
/// </summary>
/// <example>
/// <code>
/// var flow = new FlowBuilder("review")
///     .Connect(draft, review)
///     .Connect(review, draft, "revise")
///     .Connect(review, publish, "approve")
///     .Build();
/// </code>
/// </example>
public sealed class FlowBuilder
{
    private readonly string _name;
    private readonly Dictionary<string, FlowNode> _nodes = new(StringComparer.Ordinal);
    private readonly List<(FlowNode From, string Action, FlowNode To)> _connections = [];
    private FlowNode? _start;
    private readonly Dictionary<string, FlowReducer> _reducers = new(StringComparer.Ordinal);
    private int _maxSteps = 10_000;
    private TimeSpan? _completedRunRetention;

    /// <summary>Starts a flow named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty, too long or not well-formed.</exception>
    public FlowBuilder(string name)
    {
        StateNameValidator.ValidateScopeName(name, nameof(name));
        _name = name;
    }

    /// <summary>Adds a node (adding the same node again does nothing).</summary>
    /// <exception cref="FlowDefinitionException">Another node of the flow has the same name.</exception>
    public FlowBuilder Add(FlowNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (_nodes.TryGetValue(node.Name, out var existing))
        {
            if (!ReferenceEquals(existing, node))
            {
                throw new FlowDefinitionException(_name, $"two different nodes are named '{node.Name}'; node names must be unique within a flow.");
            }

            return this;
        }

        _nodes.Add(node.Name, node);
        _start ??= node;
        return this;
    }

    /// <summary>Runs <paramref name="to"/> after <paramref name="from"/> returned <paramref name="action"/> (both are added if new).</summary>
    /// <exception cref="FlowDefinitionException">The action is empty, or <paramref name="from"/> already leads elsewhere on it.</exception>
    public FlowBuilder Connect(FlowNode from, FlowNode to, string action = "default")
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(action);
        if (action.Length == 0)
        {
            throw new FlowDefinitionException(_name, $"the connection from '{from.Name}' to '{to.Name}' has an empty action.");
        }

        Add(from);
        Add(to);
        foreach (var (f, a, t) in _connections)
        {
            if (ReferenceEquals(f, from) && a == action && !ReferenceEquals(t, to))
            {
                throw new FlowDefinitionException(_name, $"node '{from.Name}' already leads to '{t.Name}' on action '{action}'; it cannot also lead to '{to.Name}'.");
            }
        }

        _connections.Add((from, action, to));
        return this;
    }

    /// <summary>Connects two added nodes by name.</summary>
    /// <exception cref="FlowDefinitionException">A node of that name was not added, or the connection conflicts.</exception>
    public FlowBuilder Connect(string from, string to, string action = "default") => Connect(Find(from), Find(to), action);

    /// <summary>Connects the nodes in order with the default action: <c>Sequence(a, b, c)</c> is a → b → c.</summary>
    public FlowBuilder Sequence(params FlowNode[] nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        for (var i = 0; i < nodes.Length; i++)
        {
            Add(nodes[i]);
            if (i > 0)
            {
                Connect(nodes[i - 1], nodes[i]);
            }
        }

        return this;
    }

    /// <summary>Makes <paramref name="node"/> the start (it is added if new).</summary>
    public FlowBuilder StartWith(FlowNode node)
    {
        Add(node);
        _start = node;
        return this;
    }

    /// <summary>Sets how many steps one run may take (default 10,000).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public FlowBuilder WithMaxSteps(int maxSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);
        _maxSteps = maxSteps;
        return this;
    }

    /// <summary>
    /// Gives the run field <paramref name="key"/> a reducer: a post that sets it combines the value with the field's
    /// (append to a list, sum, max, min, deep merge, or your own), so parallel branches and later steps add to it
    /// instead of the last writer winning. Applies to the runs of this flow, its nested flows' steps included; updates,
    /// merges and deletes of the field act as usual.
    /// </summary>
    /// <exception cref="ArgumentException">The key is not a valid key, or already has a reducer.</exception>
    public FlowBuilder WithReducer(string key, FlowReducer reducer)
    {
        StateNameValidator.ValidateKey(key);
        ArgumentNullException.ThrowIfNull(reducer);
        if (!_reducers.TryAdd(key, reducer))
        {
            throw new ArgumentException($"Field '{key}' of flow '{_name}' already has the {_reducers[key].Name} reducer; a field has one.", nameof(key));
        }

        return this;
    }

    /// <summary>
    /// Keeps this flow's completed runs for <paramref name="retention"/> ("completed runs live 7 days"), then lets the
    /// store's expiry remove each run whole: its state, steps' state, history and record. It overrides the runner's
    /// <see cref="FlowRunnerOptions.CompletedRunRetention"/> and <see cref="FlowRunnerOptions.RetainCompletedRuns"/>;
    /// a run's own <see cref="FlowRunOptions.RetainFor"/> or <see cref="FlowRunOptions.RetainState"/> overrides it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public FlowBuilder WithCompletedRunRetention(TimeSpan retention)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero);
        _completedRunRetention = retention;
        return this;
    }

    /// <summary>Checks the graph and builds the flow.</summary>
    /// <exception cref="FlowDefinitionException">The flow has no nodes, or a node cannot be reached from the start.</exception>
    public Flow Build()
    {
        if (_start is null)
        {
            throw new FlowDefinitionException(_name, "it has no nodes; add at least one.");
        }

        var successors = new Dictionary<FlowNode, Dictionary<string, FlowNode>>(ReferenceEqualityComparer.Instance);
        foreach (var (from, action, to) in _connections)
        {
            if (!successors.TryGetValue(from, out var next))
            {
                successors[from] = next = new Dictionary<string, FlowNode>(StringComparer.Ordinal);
            }

            next[action] = to;
        }

        var reached = new HashSet<FlowNode>(ReferenceEqualityComparer.Instance) { _start };
        var pending = new Stack<FlowNode>([_start]);
        while (pending.TryPop(out var node))
        {
            if (successors.TryGetValue(node, out var next))
            {
                foreach (var target in next.Values.Where(reached.Add))
                {
                    pending.Push(target);
                }
            }
        }

        var unreachable = _nodes.Values.Where(n => !reached.Contains(n)).Select(n => $"'{n.Name}'").ToList();
        if (unreachable.Count > 0)
        {
            throw new FlowDefinitionException(_name, $"{string.Join(", ", unreachable)} cannot be reached from the start node '{_start.Name}'; connect or remove them.");
        }

        return new Flow(_name, _start, new Dictionary<string, FlowNode>(_nodes, StringComparer.Ordinal), successors, _maxSteps, new Dictionary<string, FlowReducer>(_reducers, StringComparer.Ordinal), _completedRunRetention);
    }

    private FlowNode Find(string name) =>
        _nodes.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out var node)
            ? node
            : throw new FlowDefinitionException(_name, $"it has no node named '{name}'; add the node before connecting it by name.");
}
