using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlowState.Sqlite;

/// <summary>Chooses SQLite as the backend of the FlowState services.</summary>
public static class SqliteFlowStateBuilderExtensions
{
    /// <summary>Keeps the store in the SQLite file <paramref name="path"/> (created if missing).</summary>
    public static FlowStateBuilder UseSqlite(this FlowStateBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.UseSqlite(new SqliteStateBackendOptions { Path = path });
    }

    /// <summary>
    /// Keeps the store in SQLite as a configuration section says (for example <c>FlowState:Sqlite</c>): <c>Path</c>
    /// (required), <c>BusyTimeout</c> (a time span), <c>VerifyOnOpen</c>, <c>FoldThreshold</c>, <c>ReadOnly</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The section has no <c>Path</c>, a key is none of these, or a value does not convert.</exception>
    public static FlowStateBuilder UseSqlite(this FlowStateBuilder builder, IConfiguration section)
    {
        var settings = FlowStateConfiguration.Bind<SqliteSettings>(section, "the SQLite backend");
        var options = new SqliteStateBackendOptions { Path = FlowStateConfiguration.Required(section, "Path", "the SQLite file") };
        options.BusyTimeout = settings.BusyTimeout ?? options.BusyTimeout;
        options.VerifyOnOpen = settings.VerifyOnOpen ?? options.VerifyOnOpen;
        options.FoldThreshold = settings.FoldThreshold ?? options.FoldThreshold;
        options.ReadOnly = settings.ReadOnly ?? options.ReadOnly;
        return builder.UseSqlite(options);
    }

    /// <summary>Keeps the store in SQLite with the given options (logging to the app's loggers unless they name a logger factory).</summary>
    public static FlowStateBuilder UseSqlite(this FlowStateBuilder builder, SqliteStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseBackend(provider => new SqliteStateBackend(options.WithLoggerFactory(provider.GetService<ILoggerFactory>())));
    }
}
