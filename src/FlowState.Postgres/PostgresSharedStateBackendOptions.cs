using Microsoft.Extensions.Logging;
using Npgsql;

namespace FlowState.Postgres;

/// <summary>Options of <see cref="PostgresSharedStateBackend"/>.</summary>
public sealed class PostgresSharedStateBackendOptions
{
    /// <summary>
    /// The Npgsql connection string of the database (this or <see cref="DataSource"/> is required): reads and commits take pooled connections from it.
    /// It may go through PgBouncer in transaction mode — FlowState prepares no statements on the server and keeps no
    /// session state on these connections — provided <see cref="SessionConnectionString"/> reaches the server directly.
    /// </summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// A data source the app made (or registered, as .NET Aspire's Npgsql integration does) to use instead of
    /// <see cref="ConnectionString"/> for reads and commits, and — unless <see cref="SessionConnectionString"/> is set —
    /// for the store's session (held while the store is open; its lock and <c>LISTEN</c> are released when the store
    /// closes). The store leaves it open.
    /// </summary>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>Where the backend logs opening, waits for the table's lock, retried reads and a broken change feed; null: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// The connection string of the store's own session, which needs a real server session: it holds the table's
    /// shared advisory lock for as long as the store is open, creates the table at open and <c>LISTEN</c>s for
    /// changes. Null (the default) uses <see cref="ConnectionString"/>. Set it to a direct connection to the server
    /// (or a session-mode pool) when <see cref="ConnectionString"/> goes through PgBouncer in transaction mode.
    /// </summary>
    public string? SessionConnectionString { get; set; }

    /// <summary>The table holding the store (<c>name</c> or <c>schema.name</c>; created when missing, with a version sequence <c>{table}$version</c>; at most 55 characters without the schema, not a system table). Default <c>flowstate_shared</c>.</summary>
    public string Table { get; set; } = "flowstate_shared";

    /// <summary>
    /// Whether commits notify their changes (<c>pg_notify</c>) for watchers (default true). A transaction that
    /// notifies takes PostgreSQL's notification-queue lock at commit, which costs single-key writes about a third of
    /// their throughput. Without it, this process's commits are invisible to watchers (of every process), and its own
    /// <c>WatchAsync</c> throws <see cref="NotSupportedException"/>.
    /// </summary>
    public bool NotifyChanges { get; set; } = true;

    /// <summary>
    /// How long opening waits for the table's lock while another store holds it (default 5 s): a store whose process
    /// was killed keeps its lock until the server notices its session ended, which can take a moment on a busy server.
    /// </summary>
    public TimeSpan LockWaitTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the store's session (the table's shared lock and <c>LISTEN</c>) is opened again, with retries, after it
    /// broke (a server restart, a lost connection), before its watchers are ended with an error (default 30 s);
    /// <see cref="TimeSpan.Zero"/>: not at all. Reads and commits use pooled connections and recover on their own.
    /// </summary>
    public TimeSpan ReconnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many of the latest versions' changes commits keep in the change table <c>{table}$changes</c> (default
    /// 10,000), from which a watcher whose session broke catches up on what it missed once it listens again; one that
    /// missed more is ended with an error that says so. 0: no change table (commits write one row less per key), and a
    /// broken session ends the watchers. Only commits that notify (<see cref="NotifyChanges"/>) write it.
    /// </summary>
    public int ChangeRetention { get; set; } = 10_000;

    /// <summary>
    /// Whether each notified change carries the key's previous version and value (<see cref="StateChange.PreviousVersion"/>,
    /// <see cref="StateChange.PreviousValue"/> for watchers in every process; default false). It costs every commit a
    /// read of the old value, a notification up to twice the size and, with a change table, a wider row — whether or not
    /// anyone watches — so it is asked for. A previous value that does not fit in a notification is read from the change
    /// table (without one, it is left out). Every writing process of a table should use the same setting.
    /// </summary>
    public bool IncludePreviousValues { get; set; }

    // A copy for one service provider: the caller's options stay as they were (and are not tied to that provider's loggers).
    internal PostgresSharedStateBackendOptions WithLoggerFactory(ILoggerFactory? loggerFactory)
    {
        var copy = (PostgresSharedStateBackendOptions)MemberwiseClone();
        copy.LoggerFactory ??= loggerFactory;
        return copy;
    }
}
