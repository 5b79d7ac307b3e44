namespace FlowState.Flows;

/// <summary>
/// The context of a node's post: the step's private state and the global state, writable. Writes made in post
/// are staged and commit atomically with the run's progress when post returns (see <see cref="Node{TPrep, TExec}"/>).
/// </summary>
public sealed class PostContext : NodeContext
{
    internal PostContext(StepInvocation step, StagedWrites writes)
        : base(step)
    {
        StepState = new StagedStateStore(writes, step.Run.StepScope(step.Node.Name));
        GlobalState = new StagedStateStore(writes, StateScope.Global);
    }

    /// <summary>The node's private state in this run (<c>workflow:{runId}:step:{node}:</c>).</summary>
    public IStateStore StepState { get; }

    /// <summary>The global state shared by all runs.</summary>
    public IStateStore GlobalState { get; }
}
