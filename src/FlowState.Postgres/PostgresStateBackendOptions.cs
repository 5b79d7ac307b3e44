namespace FlowState.Postgres;

/// <summary>Options of <see cref="PostgresStateBackend"/>.</summary>
public sealed class PostgresStateBackendOptions
{
    /// <summary>The Npgsql connection string of the database (required).</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The table holding the store (<c>name</c> or <c>schema.name</c>; created when missing). Default <c>flowstate_entries</c>.</summary>
    public string Table { get; set; } = "flowstate_entries";

    /// <summary>
    /// How long opening waits for the table's lock while another store holds it (default 5 s): a store whose process
    /// was killed keeps its lock until the server notices its session ended, which can take a moment on a busy server.
    /// </summary>
    public TimeSpan LockWaitTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
