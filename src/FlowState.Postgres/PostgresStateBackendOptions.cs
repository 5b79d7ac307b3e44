using Microsoft.Extensions.Logging;
using Npgsql;

namespace FlowState.Postgres;

/// <summary>Options of <see cref="PostgresStateBackend"/>.</summary>
public sealed class PostgresStateBackendOptions
{
    /// <summary>The Npgsql connection string of the database (this or <see cref="DataSource"/> is required).</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// A data source the app made (or registered, as .NET Aspire's Npgsql integration does) to use instead of
    /// <see cref="ConnectionString"/>: the store's session is one of its connections, held while the store is open
    /// (the table's advisory lock lives on it and is released when the store closes). The store leaves it open.
    /// </summary>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>Where the backend logs opening, waits for the table's lock, and closing; null: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The table holding the store (<c>name</c> or <c>schema.name</c>; created when missing). Default <c>flowstate_entries</c>.</summary>
    public string Table { get; set; } = "flowstate_entries";

    /// <summary>
    /// How long opening waits for the table's lock while another store holds it (default 5 s): a store whose process
    /// was killed keeps its lock until the server notices its session ended, which can take a moment on a busy server.
    /// </summary>
    public TimeSpan LockWaitTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a store whose session the server dropped (a restart, a failover, a network cut) tries to open a new
    /// one — a new connection that takes the table's lock again — before its write fails (default 30 s);
    /// <see cref="TimeSpan.Zero"/>: it does not try, and the store refuses writes until it is opened again.
    /// </summary>
    public TimeSpan ReconnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Open the table only to read it (default false): no advisory lock is taken, so the store of another process may
    /// be writing the table meanwhile (what an inspector of a running app needs); the store loads one snapshot of the
    /// table when it opens and refuses writes; the table must exist (it is not created).
    /// </summary>
    public bool ReadOnly { get; set; }

    // A copy for one service provider: the caller's options stay as they were (and are not tied to that provider's loggers).
    internal PostgresStateBackendOptions WithLoggerFactory(ILoggerFactory? loggerFactory)
    {
        var copy = (PostgresStateBackendOptions)MemberwiseClone();
        copy.LoggerFactory ??= loggerFactory;
        return copy;
    }
}
