namespace FlowState.Flows;

/// <summary>Base class of the errors of the flow runtime; says which run and node, when known.</summary>
public class FlowException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public FlowException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public FlowException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public FlowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception about <paramref name="runId"/> and <paramref name="nodeName"/>.</summary>
    public FlowException(string message, string? runId, string? nodeName, Exception? innerException = null)
        : base(message, innerException!)
    {
        RunId = runId;
        NodeName = nodeName;
    }

    /// <summary>The run, when the error belongs to one.</summary>
    public string? RunId { get; }

    /// <summary>The node, when the error belongs to one.</summary>
    public string? NodeName { get; }
}
