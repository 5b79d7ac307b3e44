using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace FlowState.Sqlite;

/// <summary>Chooses SQLite as the backend of the FlowState services.</summary>
public static class SqliteFlowStateBuilderExtensions
{
    /// <summary>Keeps the store in the SQLite file <paramref name="path"/> (created if missing).</summary>
    public static FlowStateBuilder UseSqlite(this FlowStateBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.UseBackend(_ => new SqliteStateBackend(path));
    }

    /// <summary>
    /// Keeps the store in SQLite as a configuration section says (for example <c>FlowState:Sqlite</c>): <c>Path</c>
    /// (required), <c>BusyTimeout</c> (a time span), <c>VerifyOnOpen</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The section has no <c>Path</c>, or a value does not parse.</exception>
    public static FlowStateBuilder UseSqlite(this FlowStateBuilder builder, IConfiguration section)
    {
        var options = new SqliteStateBackendOptions { Path = FlowStateConfiguration.Required(section, "Path", "the SQLite file") };
        options.BusyTimeout = FlowStateConfiguration.Optional(section, "BusyTimeout", static text => TimeSpan.Parse(text, CultureInfo.InvariantCulture), options.BusyTimeout);
        options.VerifyOnOpen = FlowStateConfiguration.Optional(section, "VerifyOnOpen", bool.Parse, options.VerifyOnOpen);
        return builder.UseSqlite(options);
    }

    /// <summary>Keeps the store in SQLite with the given options.</summary>
    public static FlowStateBuilder UseSqlite(this FlowStateBuilder builder, SqliteStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseBackend(_ => new SqliteStateBackend(options));
    }
}
