namespace FlowState.Flows;

/// <summary>A flow's graph is not valid (a duplicate node name, a conflicting connection, an unreachable node).</summary>
public class FlowDefinitionException : FlowException
{
    /// <summary>Creates an exception with a default message.</summary>
    public FlowDefinitionException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public FlowDefinitionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public FlowDefinitionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception saying what is wrong with flow <paramref name="flowName"/>.</summary>
    public FlowDefinitionException(string flowName, string problem)
        : base($"Flow '{flowName}' is not valid: {problem}")
    {
        FlowName = flowName;
    }

    /// <summary>The flow, when known.</summary>
    public string? FlowName { get; }
}
