namespace FlowState.Postgres;

/// <summary>Chooses PostgreSQL as the backend of the FlowState services, of their own or shared.</summary>
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

    /// <summary>
    /// Shares state through <paramref name="table"/> of the database <paramref name="connectionString"/> names, with
    /// any number of other processes: <see cref="IStateStore"/> is a <see cref="SharedStateStore"/>.
    /// </summary>
    public static FlowStateBuilder UseSharedPostgres(this FlowStateBuilder builder, string connectionString, string table = "flowstate_shared")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseSharedPostgres(new PostgresSharedStateBackendOptions { ConnectionString = connectionString, Table = table });
    }

    /// <summary>Shares state through PostgreSQL with the given options.</summary>
    public static FlowStateBuilder UseSharedPostgres(this FlowStateBuilder builder, PostgresSharedStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseSharedBackend(_ => new PostgresSharedStateBackend(options));
    }
}
