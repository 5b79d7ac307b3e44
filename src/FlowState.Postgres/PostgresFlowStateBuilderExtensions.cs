using Microsoft.Extensions.Configuration;

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

    /// <summary>Keeps the store in PostgreSQL as a configuration section says: <c>ConnectionString</c> (required), <c>Table</c>.</summary>
    /// <exception cref="ArgumentException">The section has no <c>ConnectionString</c>, or a key is none of these.</exception>
    public static FlowStateBuilder UsePostgres(this FlowStateBuilder builder, IConfiguration section)
    {
        var settings = FlowStateConfiguration.Bind<PostgresSettings>(section, "the PostgreSQL backend");
        var options = new PostgresStateBackendOptions { ConnectionString = FlowStateConfiguration.Required(section, "ConnectionString", "the Npgsql connection string") };
        options.Table = settings.Table ?? options.Table;
        return builder.UsePostgres(options);
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

    /// <summary>
    /// Shares state through PostgreSQL as a configuration section says: <c>ConnectionString</c> (required),
    /// <c>SessionConnectionString</c>, <c>Table</c>, <c>NotifyChanges</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The section has no <c>ConnectionString</c>, a key is none of these, or a value does not convert.</exception>
    public static FlowStateBuilder UseSharedPostgres(this FlowStateBuilder builder, IConfiguration section)
    {
        var settings = FlowStateConfiguration.Bind<PostgresSharedSettings>(section, "the shared PostgreSQL backend");
        var options = new PostgresSharedStateBackendOptions { ConnectionString = FlowStateConfiguration.Required(section, "ConnectionString", "the Npgsql connection string") };
        options.SessionConnectionString = settings.SessionConnectionString;
        options.Table = settings.Table ?? options.Table;
        options.NotifyChanges = settings.NotifyChanges ?? options.NotifyChanges;

        return builder.UseSharedPostgres(options);
    }

    /// <summary>Shares state through PostgreSQL with the given options.</summary>
    public static FlowStateBuilder UseSharedPostgres(this FlowStateBuilder builder, PostgresSharedStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseSharedBackend(_ => new PostgresSharedStateBackend(options));
    }
}
