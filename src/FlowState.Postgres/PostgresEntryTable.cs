using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Retry;

namespace FlowState.Postgres;

/// <summary>The entry table both PostgreSQL backends use: its columns, its DDL, and reading its rows.</summary>
internal static class PostgresEntryTable
{
    public const string Columns = "scope, key, value, version, expires_at, ttl, sliding";

    /// <summary>Creates <paramref name="quotedTable"/> when missing; keys compare bytewise (<c>COLLATE "C"</c>), so a scope subtree is one range.</summary>
    public static string CreateSql(string quotedTable) =>
        $"""
        CREATE TABLE IF NOT EXISTS {quotedTable} (
            scope text COLLATE "C" NOT NULL,
            key text COLLATE "C" NOT NULL,
            value bytea NOT NULL,
            version bigint NOT NULL,
            expires_at bigint NOT NULL,
            ttl bigint NOT NULL,
            sliding boolean NOT NULL,
            PRIMARY KEY (scope, key))
        """;

    /// <summary>
    /// Retries opening a store's session until the caller's deadline, while the server is unreachable or restarting:
    /// waits of 100 ms growing to 2 s, with jitter.
    /// </summary>
    public static ResiliencePipeline SessionReopenRetry() => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is NpgsqlException npgsql && (IsBrokenConnection(npgsql) || npgsql.IsTransient)),
        })
        .Build();

    /// <summary>
    /// Whether <paramref name="ex"/> says the connection itself is gone (the server shut down, crashed or restarted, or
    /// the socket broke) rather than that a statement failed.
    /// </summary>
    public static bool IsBrokenConnection(NpgsqlException ex) =>
        ex is PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow }
        || (ex is not PostgresException && ex.InnerException is IOException or System.Net.Sockets.SocketException);

    /// <summary>The exclusive end of the range of scope storage keys inside <paramref name="scopeKey"/> (which ends with <c>/</c>): its last <c>/</c> as <c>0</c>.</summary>
    public static string SubtreeEnd(string scopeKey) => string.Concat(scopeKey.AsSpan(0, scopeKey.Length - 1), "0");

    /// <summary>
    /// Opens the store's session holding the table's advisory lock: exclusive for a store of one process, shared for
    /// shared stores, so the two kinds never use one table at once. From a connection string the session is not pooled,
    /// so closing it — or the process dying — ends it and releases the lock; from an app's data source it is one of its
    /// connections, and <see cref="CloseSessionAsync"/> releases the lock before handing it back. Waits up to
    /// <paramref name="wait"/> for a holder to go: the session of a killed process ends only when the server notices.
    /// </summary>
    /// <exception cref="StateBackendException">Another store holds the lock in a conflicting mode (naming its session).</exception>
    public static async Task<NpgsqlConnection> OpenLockedSessionAsync(string? connectionString, NpgsqlDataSource? dataSource, string table, bool shared, TimeSpan wait, ILogger logger, CancellationToken cancellationToken)
    {
        var session = connectionString is not null
            ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 30 }.ConnectionString)
            : dataSource!.CreateConnection();
        try
        {
            await session.OpenAsync(cancellationToken).ConfigureAwait(false);
            var key = "flowstate:" + table;
            var logged = false;
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                using var lockCommand = new NpgsqlCommand(shared ? "SELECT pg_try_advisory_lock_shared(hashtextextended($1, 0))" : "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", session);
                lockCommand.Parameters.AddWithValue(key);
                if (await lockCommand.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                {
                    PostgresLog.Opened(logger, table, shared ? "shared" : "exclusive", session.Host ?? "?", session.Database, waited.Elapsed.TotalMilliseconds);
                    return session;
                }

                if (waited.Elapsed >= wait)
                {
                    break;
                }

                if (!logged)
                {
                    logged = true;
                    PostgresLog.WaitingForLock(logger, table, await DescribeHoldersAsync(session, key, cancellationToken).ConfigureAwait(false), wait.TotalSeconds);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }

            var holders = await DescribeHoldersAsync(session, key, cancellationToken).ConfigureAwait(false);
            throw new StateBackendException(shared
                ? $"PostgreSQL table '{table}' is held by an exclusive FlowState store (PostgresStateBackend{holders}); a shared store cannot use it meanwhile. Close that store, or give the shared store its own table."
                : $"PostgreSQL table '{table}' is in use by another FlowState store (it holds the table's advisory lock{holders}; waited {wait.TotalSeconds:0.#} s). Close that store first, or give each store its own table.");
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Ends the store's session: a session of its own closes (the server releases its locks); a data source's connection
    /// first releases the table's lock and stops listening, so the pool gets back a connection that holds nothing.
    /// </summary>
    public static async ValueTask CloseSessionAsync(NpgsqlConnection session, bool fromDataSource, string table, ILogger logger)
    {
        if (fromDataSource && session.State == System.Data.ConnectionState.Open)
        {
            try
            {
                using var release = new NpgsqlCommand("SELECT pg_advisory_unlock_all(); UNLISTEN *", session);
                await release.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                // A broken connection: the pool discards it, and the server ends its session and its locks.
                PostgresLog.ReleaseFailed(logger, ex, table);
            }
        }

        await session.DisposeAsync().ConfigureAwait(false);
        PostgresLog.Closed(logger, table);
    }

    // The sessions holding the advisory lock, as ": session 1234 of 'app' from 10.0.0.5 since 12:00:00", so that an
    // operator can tell a live store from a session the server has not yet ended (pg_terminate_backend).
    private static async Task<string> DescribeHoldersAsync(NpgsqlConnection session, string key, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(
            """
            SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'a local socket'), to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid, (SELECT hashtextextended($1, 0) AS k) h
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ((h.k >> 32) & 4294967295)::bigint::oid AND l.objid = (h.k & 4294967295)::bigint::oid
            """,
            session);
        command.Parameters.AddWithValue(key);
        var holders = new List<string>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                holders.Add($"session {reader.GetInt32(0)}{(reader.GetString(1).Length > 0 ? $" of '{reader.GetString(1)}'" : string.Empty)} from {reader.GetString(2)} since {reader.GetString(3)} UTC");
            }
        }

        return holders.Count == 0 ? string.Empty : ": " + string.Join("; ", holders);
    }

    public static BackendEntry ReadRow(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetFieldValue<byte[]>(2),
        reader.GetInt64(3),
        reader.GetInt64(4),
        reader.GetInt64(5),
        reader.GetBoolean(6));

    /// <summary>The rows <paramref name="command"/> selects (<see cref="Columns"/>), with server errors turned into <paramref name="failure"/>'s exception.</summary>
    public static async IAsyncEnumerable<BackendEntry> ReadAllAsync(NpgsqlCommand command, Func<NpgsqlException, Exception> failure, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        NpgsqlDataReader reader;
        try
        {
            reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw failure(ex);
        }

        await using (reader.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (NpgsqlException ex)
                {
                    throw failure(ex);
                }

                yield return ReadRow(reader);
            }
        }
    }
}
