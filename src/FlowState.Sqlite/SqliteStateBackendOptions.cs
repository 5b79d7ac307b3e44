namespace FlowState.Sqlite;

/// <summary>Options of <see cref="SqliteStateBackend"/>.</summary>
public sealed class SqliteStateBackendOptions
{
    /// <summary>The database file; created when missing. Default: <c>flowstate.db</c> in the working directory.</summary>
    public string Path { get; set; } = "flowstate.db";

    /// <summary>How long a write waits for another connection's lock on the file before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
