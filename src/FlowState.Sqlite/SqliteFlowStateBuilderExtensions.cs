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
        ArgumentNullException.ThrowIfNull(section);
        var path = (section as IConfigurationSection)?.Path ?? "(root)";
        var options = new SqliteStateBackendOptions
        {
            Path = section["Path"] is { Length: > 0 } file ? file : throw new ArgumentException($"Configuration '{path}:Path' (the SQLite file) is missing.", nameof(section)),
        };
        if (section["BusyTimeout"] is { } busy)
        {
            options.BusyTimeout = TimeSpan.TryParse(busy, CultureInfo.InvariantCulture, out var timeout) ? timeout : throw new ArgumentException($"Configuration '{path}:BusyTimeout' is '{busy}', which is not a time span.", nameof(section));
        }

        if (section["VerifyOnOpen"] is { } verify)
        {
            options.VerifyOnOpen = bool.TryParse(verify, out var value) ? value : throw new ArgumentException($"Configuration '{path}:VerifyOnOpen' is '{verify}', which is not true or false.", nameof(section));
        }

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
