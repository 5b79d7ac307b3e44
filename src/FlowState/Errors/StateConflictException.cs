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

    /// <summary>The scope of the key whose version did not match, when a key's check failed.</summary>
    public StateScope? Scope { get; init; }

    /// <summary>The key whose version did not match, when a key's check failed.</summary>
    public string? Key { get; init; }

    /// <summary>The version the write expected (0: the key had to be absent), when a key's check failed.</summary>
    public long? ExpectedVersion { get; init; }

    /// <summary>The version the key had (0: absent), when a key's check failed.</summary>
    public long? ActualVersion { get; init; }
}
