namespace FlowState.Streaming;

/// <summary>A pipeline (or its YAML configuration) is not valid: says what is wrong and where.</summary>
public class StreamDefinitionException : StreamException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StreamDefinitionException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StreamDefinitionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StreamDefinitionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
