namespace FlowState.Streaming;

/// <summary>A checkpoint could not be written, completed or read back, or its id was taken by another coordinator.</summary>
public class CheckpointException : StreamException
{
    /// <summary>Creates an exception with a default message.</summary>
    public CheckpointException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public CheckpointException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
