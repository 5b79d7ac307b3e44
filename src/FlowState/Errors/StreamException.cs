namespace FlowState.Streaming;

/// <summary>Base class of the errors of the stream runtime.</summary>
public class StreamException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StreamException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StreamException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StreamException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
