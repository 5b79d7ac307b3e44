namespace FlowState;

/// <summary>A write was refused because it would exceed a limit (value size, JSON depth, keys or bytes of a scope, store capacity, watcher buffer). Nothing was written.</summary>
public class StateLimitExceededException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StateLimitExceededException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StateLimitExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StateLimitExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
