using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FlowState.Postgres;

/// <summary>Chooses PostgreSQL as the backend of the FlowState services, of their own or shared.</summary>
public static class PostgresFlowStateBuilderExtensions
{
    /// <summary>Keeps the store in <paramref name="table"/> of the database <paramref name="connectionString"/> names (created if missing).</summary>
    public static FlowStateBuilder UsePostgres(this FlowStateBuilder builder, string connectionString, string table = "flowstate_entries")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UsePostgres(new PostgresStateBackendOptions { ConnectionString = connectionString, Table = table });
    }

    /// <summary>Keeps the store in PostgreSQL as a configuration section says: <c>ConnectionString</c> (required), <c>Table</c>, <c>ReadOnly</c>.</summary>
    /// <exception cref="ArgumentException">The section has no <c>ConnectionString</c>, or a key is none of these.</exception>
    public static FlowStateBuilder UsePostgres(this FlowStateBuilder builder, IConfiguration section)
    {
        var settings = FlowStateConfiguration.Bind<PostgresSettings>(section, "the PostgreSQL backend");
        var options = new PostgresStateBackendOptions { ConnectionString = FlowStateConfiguration.Required(section, "ConnectionString", "the Npgsql connection string") };
        options.Table = settings.Table ?? options.Table;
        options.ReadOnly = settings.ReadOnly;
        return builder.UsePostgres(options);
    }

    /// <summary>Keeps the store in PostgreSQL with the given options (logging to the app's loggers unless they name a logger factory).</summary>
    public static FlowStateBuilder UsePostgres(this FlowStateBuilder builder, PostgresStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseBackend(provider => new PostgresStateBackend(options.WithLoggerFactory(provider.GetService<ILoggerFactory>())));
    }

    /// <summary>
    /// Keeps the store in <paramref name="table"/> of the database of an <see cref="NpgsqlDataSource"/> the app
    /// registered (as .NET Aspire's Npgsql integration does): <paramref name="dataSource"/> picks it from the services,
    /// e.g. <c>provider =&gt; provider.GetRequiredService&lt;NpgsqlDataSource&gt;()</c>. The store's session is one of
    /// its connections, held while the store is open; the store leaves the data source open.
    /// </summary>
    public static FlowStateBuilder UsePostgres(this FlowStateBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource, string table = "flowstate_entries")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        PostgresTableName.CheckStoreTable(table);
        return builder.UseBackend(provider => new PostgresStateBackend(new PostgresStateBackendOptions
        {
            DataSource = dataSource(provider),
            Table = table,
            LoggerFactory = provider.GetService<ILoggerFactory>(),
        }));
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
    /// <c>SessionConnectionString</c>, <c>Table</c>, <c>NotifyChanges</c>, <c>ReconnectTimeout</c> (e.g. <c>00:00:30</c>),
    /// <c>ChangeRetention</c>, <c>IncludePreviousValues</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The section has no <c>ConnectionString</c>, a key is none of these, or a value does not convert.</exception>
    public static FlowStateBuilder UseSharedPostgres(this FlowStateBuilder builder, IConfiguration section)
    {
        var settings = FlowStateConfiguration.Bind<PostgresSharedSettings>(section, "the shared PostgreSQL backend");
        var options = new PostgresSharedStateBackendOptions { ConnectionString = FlowStateConfiguration.Required(section, "ConnectionString", "the Npgsql connection string") };
        options.SessionConnectionString = settings.SessionConnectionString;
        options.Table = settings.Table ?? options.Table;
        options.NotifyChanges = settings.NotifyChanges ?? options.NotifyChanges;
        options.ReconnectTimeout = settings.ReconnectTimeout ?? options.ReconnectTimeout;
        options.ChangeRetention = settings.ChangeRetention ?? options.ChangeRetention;
        options.IncludePreviousValues = settings.IncludePreviousValues ?? options.IncludePreviousValues;

        return builder.UseSharedPostgres(options);
    }

    /// <summary>Shares state through PostgreSQL with the given options (logging to the app's loggers unless they name a logger factory).</summary>
    public static FlowStateBuilder UseSharedPostgres(this FlowStateBuilder builder, PostgresSharedStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseSharedBackend(provider => new PostgresSharedStateBackend(options.WithLoggerFactory(provider.GetService<ILoggerFactory>())));
    }

    /// <summary>
    /// Shares state through <paramref name="table"/> of the database of an <see cref="NpgsqlDataSource"/> the app
    /// registered (as .NET Aspire's Npgsql integration does): reads and commits take its connections, and so does the
    /// store's session (lock and <c>LISTEN</c>) unless <paramref name="sessionConnectionString"/> names a direct
    /// connection — needed when the data source goes through PgBouncer in transaction mode. The store leaves the data
    /// source open.
    /// </summary>
    public static FlowStateBuilder UseSharedPostgres(this FlowStateBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource, string table = "flowstate_shared", string? sessionConnectionString = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        PostgresTableName.CheckStoreTable(table);
        return builder.UseSharedBackend(provider => new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions
        {
            DataSource = dataSource(provider),
            Table = table,
            SessionConnectionString = sessionConnectionString,
            LoggerFactory = provider.GetService<ILoggerFactory>(),
        }));
    }
}
