namespace FlowState;

/// <summary>Stored state failed an integrity check (checksum, format, schema).</summary>
public class StateCorruptedException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StateCorruptedException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StateCorruptedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StateCorruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
