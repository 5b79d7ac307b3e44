namespace FlowState;

/// <summary>A value cannot be stored: it does not serialize to JSON, or its JSON is not acceptable (duplicate property names, invalid UTF-8). Nothing was written.</summary>
public class StateValueException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StateValueException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StateValueException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StateValueException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
