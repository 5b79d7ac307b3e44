namespace FlowState;

/// <summary>
/// Base class of every error FlowState raises for a state operation. Messages say what went wrong,
/// where (key, scope, file) and how to fix it.
/// </summary>
public class StateException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public StateException()
        : base("A state operation failed.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
