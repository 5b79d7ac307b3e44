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

    /// <summary>Keeps the store in SQLite with the given options.</summary>
    public static FlowStateBuilder UseSqlite(this FlowStateBuilder builder, SqliteStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseBackend(_ => new SqliteStateBackend(options));
    }
}
