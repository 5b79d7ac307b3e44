namespace FlowState.Postgres;

/// <summary>Chooses PostgreSQL as the backend of the FlowState services.</summary>
public static class PostgresFlowStateBuilderExtensions
{
    /// <summary>Keeps the store in <paramref name="table"/> of the database <paramref name="connectionString"/> names (created if missing).</summary>
    public static FlowStateBuilder UsePostgres(this FlowStateBuilder builder, string connectionString, string table = "flowstate_entries")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseBackend(_ => new PostgresStateBackend(connectionString, table));
    }

    /// <summary>Keeps the store in PostgreSQL with the given options.</summary>
    public static FlowStateBuilder UsePostgres(this FlowStateBuilder builder, PostgresStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseBackend(_ => new PostgresStateBackend(options));
    }
}
