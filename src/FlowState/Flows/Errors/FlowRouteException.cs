namespace FlowState.Flows;

/// <summary>A node returned an action its flow has no connection for. The step did not commit.</summary>
public class FlowRouteException : FlowException
{
    /// <summary>Creates an exception with a default message.</summary>
    public FlowRouteException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public FlowRouteException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public FlowRouteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception naming the run, the node, the action and the actions the node does lead on.</summary>
    public FlowRouteException(string runId, string nodeName, string action, IReadOnlyList<string> knownActions)
        : base(
            $"Node '{nodeName}' of run '{runId}' returned action '{action}', but it only leads on {string.Join(", ", (knownActions ?? []).Select(a => $"'{a}'"))}. " +
            "Connect that action in the flow or return one of those.",
            runId,
            nodeName)
    {
        Action = action;
        KnownActions = knownActions ?? [];
    }

    /// <summary>The action the node returned.</summary>
    public string? Action { get; }

    /// <summary>The actions the node has connections for.</summary>
    public IReadOnlyList<string> KnownActions { get; } = [];
}
