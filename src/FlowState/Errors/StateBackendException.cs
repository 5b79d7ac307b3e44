namespace FlowState;

/// <summary>The storage backend failed (I/O, connection, server error).</summary>
public class StateBackendException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StateBackendException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StateBackendException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StateBackendException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
