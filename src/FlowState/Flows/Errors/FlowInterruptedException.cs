namespace FlowState.Flows;

/// <summary>
/// Thrown by <see cref="NodeContext.Interrupt"/> to stop a run for input. The runner catches it: the run ends as
/// <see cref="FlowRunStatus.Interrupted"/> and <see cref="FlowRunner.RunAsync"/> returns normally.
/// </summary>
public sealed class FlowInterruptedException : FlowException
{
    /// <summary>Creates an exception with a default message.</summary>
    public FlowInterruptedException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public FlowInterruptedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public FlowInterruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the interrupt of <paramref name="nodeName"/> in <paramref name="runId"/>.</summary>
    public FlowInterruptedException(string runId, string nodeName, string? reason)
        : base($"Node '{nodeName}' interrupted run '{runId}'{(reason is null ? "." : $": {reason}")}", runId, nodeName)
    {
        Reason = reason;
    }

    /// <summary>Why the node interrupted the run (for the person who resumes it).</summary>
    public string? Reason { get; }

    internal string Frame { get; init; } = string.Empty;

    internal int StepIndex { get; init; }
}
