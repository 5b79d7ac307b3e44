namespace FlowState.Streaming;

/// <summary>A source cannot read its input (a missing file, a line that is not JSON): says which source and where.</summary>
public class StreamSourceException : StreamException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StreamSourceException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StreamSourceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StreamSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
