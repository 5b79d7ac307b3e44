namespace FlowState.Flows;

/// <summary>
/// The context of a node's post: the step's private state and the global state, writable. Writes made in post
/// are staged and commit atomically with the run's progress when post returns (see <see cref="Node{TPrep, TExec}"/>).
/// </summary>
public sealed class PostContext : NodeContext
{
    private StagedStateStore? _runState;
    private StagedStateStore? _stepState;
    private StagedStateStore? _globalState;

    internal PostContext(StepInvocation step, StagedWrites writes)
        : base(step)
    {
        Writes = writes;
    }

    /// <summary>The node's private state in this run (<c>workflow:{runId}:step:{node}:</c>).</summary>
    public IStateStore StepState => _stepState ??= new StagedStateStore(Writes, Invocation.Run.StepScope(Invocation.Node.Name));

    /// <summary>The global state shared by all runs.</summary>
    public IStateStore GlobalState => _globalState ??= new StagedStateStore(Writes, StateScope.Global);

    /// <summary>The run's state, staged like the others.</summary>
    internal IStateStore RunState => _runState ??= new StagedStateStore(Writes, Invocation.Run.RunScope);

    internal StagedWrites Writes { get; }
}
