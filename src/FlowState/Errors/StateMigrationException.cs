namespace FlowState;

/// <summary>A migration failed while a store was opened; the store stays at <see cref="AppliedVersion"/>.</summary>
public sealed class StateMigrationException : StateException
{
    /// <summary>Creates the exception.</summary>
    public StateMigrationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public StateMigrationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the migration's own exception.</summary>
    public StateMigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failed migration.</summary>
    public StateMigrationException(int failedVersion, int appliedVersion, string message, Exception innerException)
        : base(message, innerException)
    {
        FailedVersion = failedVersion;
        AppliedVersion = appliedVersion;
    }

    /// <summary>The version of the migration that failed.</summary>
    public int FailedVersion { get; }

    /// <summary>The version the store is left at (the last migration that completed).</summary>
    public int AppliedVersion { get; }
}
