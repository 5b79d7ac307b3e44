namespace FlowState.Flows;

/// <summary>A run cannot be resumed: it does not exist, has completed, belongs to another flow, or its store keeps no progress.</summary>
public class FlowResumeException : FlowException
{
    /// <summary>Creates an exception with a default message.</summary>
    public FlowResumeException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public FlowResumeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public FlowResumeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception saying why <paramref name="runId"/> cannot be resumed.</summary>
    public FlowResumeException(string runId, string reason)
        : base($"Run '{runId}' cannot be resumed: {reason}", runId, null)
    {
    }
}
