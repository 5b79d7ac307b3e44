namespace FlowState;

/// <summary>
/// A backup catalog cannot do what was asked: it is in use by another process, no backup covers the point asked for, or
/// an incremental backup has no base it can follow. The message says which, and what to do.
/// </summary>
public class StateBackupException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StateBackupException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StateBackupException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StateBackupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
