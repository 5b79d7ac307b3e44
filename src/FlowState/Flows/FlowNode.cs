namespace FlowState.Flows;

/// <summary>
/// Anything a <see cref="Flow"/> can run as one step: a <see cref="Node{TPrep, TExec}"/>, a <see cref="BatchNode{TItem, TResult}"/>,
/// a nested <see cref="Flow"/>, a <see cref="ParallelNode"/> or a <see cref="BatchFlow"/>. A node is immutable once built and may be
/// used by many flows and runs at once; its name is unique within a flow and names its private state.
/// </summary>
public abstract class FlowNode
{
    private protected FlowNode(string name)
    {
        StateNameValidator.ValidateScopeName(name, nameof(name));
        Name = name;
    }

    /// <summary>The node's name: unique within a flow; the step scope <c>workflow:{runId}:step:{Name}:</c> is its private state.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name}({Name})";

    /// <summary>Runs one step of this node, committing its writes with the run's progress; returns the action taken.</summary>
    internal abstract ValueTask<string> RunStepAsync(StepInvocation step);
}
