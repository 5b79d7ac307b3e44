namespace FlowState.Postgres;

/// <summary>Options of <see cref="PostgresSharedStateBackend"/>.</summary>
public sealed class PostgresSharedStateBackendOptions
{
    /// <summary>The Npgsql connection string of the database (required). Works through PgBouncer in transaction mode: FlowState prepares no statements on the server.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The table holding the store (<c>name</c> or <c>schema.name</c>; created when missing, with a version sequence <c>{table}_version</c>). Default <c>flowstate_shared</c>.</summary>
    public string Table { get; set; } = "flowstate_shared";
}
