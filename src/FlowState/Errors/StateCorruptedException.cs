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

    /// <summary>
    /// What is damaged, when the error knows: a file or directory path (a SQLite file, its write-ahead log, a RocksDB
    /// directory, a backup, a checkpoint file) or a backend's description (<c>postgres:orders</c>); null otherwise.
    /// </summary>
    public string? Location { get; init; }
}
