namespace FlowState.Sqlite;

/// <summary>Options of <see cref="SqliteStateBackend"/>.</summary>
public sealed class SqliteStateBackendOptions
{
    /// <summary>The database file; created when missing. Default: <c>flowstate.db</c> in the working directory.</summary>
    public string Path { get; set; } = "flowstate.db";

    /// <summary>How long a write waits for another connection's lock on the file before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether opening runs SQLite's <c>PRAGMA quick_check</c> over the whole file (default true). It reads every page
    /// once, as loading the store does anyway, and turns structural damage into <see cref="StateCorruptedException"/>.
    /// </summary>
    public bool VerifyOnOpen { get; set; } = true;
}
