namespace FlowState.Flows;

/// <summary>The context of a node's prep: read-only views of the step's private state and of the global state.</summary>
public sealed class PrepContext : NodeContext
{
    internal PrepContext(StepInvocation step)
        : base(step)
    {
    }

    /// <summary>The node's private state in this run (<c>workflow:{runId}:step:{node}:</c>), read-only.</summary>
    public IStateReader StepState => Invocation.Run.StepReader(Invocation.Node.Name);

    /// <summary>The global state shared by all runs, read-only.</summary>
    public IStateReader GlobalState => Invocation.Run.GlobalReader;
}
