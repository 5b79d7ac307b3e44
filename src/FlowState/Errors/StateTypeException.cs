namespace FlowState;

/// <summary>A stored value does not deserialize to the requested type. A missing key is a miss, never this error.</summary>
public class StateTypeException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StateTypeException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StateTypeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StateTypeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
