namespace FlowState;

/// <summary>A write carried an expected version that did not match the stored one. Nothing was written.</summary>
public class StateConflictException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StateConflictException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StateConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StateConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
