namespace FlowState.Flows;

/// <summary>The context of a node's exec. It gives no access to state: exec computes, prep reads and post writes.</summary>
public sealed class ExecContext : NodeContext
{
    internal ExecContext(StepInvocation step, int attempt)
        : base(step)
    {
        Attempt = attempt;
        step.RecordAttempt(attempt);
    }

    /// <summary>Which attempt this is within the current execution of the step: 1 for the first, 2 for the first retry, ….</summary>
    public int Attempt { get; }
}
