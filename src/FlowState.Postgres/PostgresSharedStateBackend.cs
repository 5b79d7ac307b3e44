using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Polly;

namespace FlowState.Postgres;

/// <summary>
/// Shared state on PostgreSQL (<see cref="SharedStateStore"/>'s backend): the table of <see cref="PostgresStateBackend"/>
/// (<c>scope, key, value, version, expires_at, ttl, sliding</c>), written by any number of processes. A commit is one
/// transaction that takes a transaction-scoped advisory lock per key (in a fixed order, so commits never deadlock),
/// reads the keys' live versions, and — when every expected version matches — writes the changes under a version from
/// the sequence <c>{table}$version</c> and notifies them on a channel named by a hash of the table's name (<c>LISTEN/NOTIFY</c>
/// feeds the watchers of every process). <see cref="Durability.Machine"/> commits with <c>synchronous_commit=on</c>,
/// the other levels with <c>off</c>.
/// </summary>
/// <remarks>
/// Each process holds a shared advisory lock on the table while its store is open, so an exclusive
/// <see cref="PostgresStateBackend"/> (which keeps the state in its own memory) cannot open the same table meanwhile,
/// nor the other way round. Reads and commits take connections from an Npgsql pool and leave no session state on them
/// (no statement is prepared on the server), so that pool may be PgBouncer in transaction mode; the store's own
/// session (lock, DDL, <c>LISTEN</c>) uses <see cref="PostgresSharedStateBackendOptions.SessionConnectionString"/>.
/// </remarks>
public sealed class PostgresSharedStateBackend : ISharedStateBackend
{
    private const string Columns = PostgresEntryTable.Columns;
    private const int MaxNotifyValueBytes = 7000; // NOTIFY payloads must stay under 8000 bytes; larger values are read by the watcher

    private readonly PostgresSharedStateBackendOptions _options;
    private readonly string _table;
    private readonly string _sequence;
    private readonly string _commitFunction;
    private readonly string _changes;
    private readonly string _feed;
    private readonly string _channel;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _reads;
    private NpgsqlDataSource? _dataSource;
    private NpgsqlConnection? _session;
    private Channel<SharedChangeNotice>? _notices;
    private Task? _listening;
    private CancellationTokenSource? _stopListening;

    // The feed's position, kept by the listening loop (notifications are raised on it): the versions delivered lately
    // (a catch-up after a reconnect starts at the oldest of them, so a commit that was in flight when the session broke
    // is not skipped, and skips those delivered); the notifications arrived and not yet delivered (the loop completes
    // a value too large for NOTIFY from the change table first, and holds them while a catch-up runs, so that every
    // key's changes stay in order); the versions the last catch-up delivered (their notifications are dropped).
    private readonly Queue<long> _recentOrder = new();
    private readonly HashSet<long> _recent = [];
    private readonly List<SharedChangeNotice> _arrived = [];
    private HashSet<long> _caughtUp = [];
    private long _lastVersion;

    /// <summary>A backend on <see cref="PostgresSharedStateBackendOptions.Table"/> of the database the connection string names.</summary>
    /// <exception cref="ArgumentException">Neither a connection string nor a data source is given, or the table is not a plain identifier.</exception>
    public PostgresSharedStateBackend(PostgresSharedStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DataSource is null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString, "options.ConnectionString");
        }

        if (options.SessionConnectionString is { } session)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(session, "options.SessionConnectionString");
        }

        PostgresTableName.CheckStoreTable(options.Table);
        ArgumentOutOfRangeException.ThrowIfNegative(options.ChangeRetention, "options.ChangeRetention");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReconnectTimeout, TimeSpan.Zero, "options.ReconnectTimeout");
        _table = PostgresTableName.Quote(options.Table);
        _sequence = PostgresTableName.Derived(options.Table, "version");
        _commitFunction = PostgresTableName.Derived(options.Table, "commit");
        _changes = PostgresTableName.Derived(options.Table, "changes");
        _feed = PostgresTableName.Derived(options.Table, "feed");
        _channel = PostgresTableName.Channel(options.Table);
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<PostgresSharedStateBackend>() ?? (ILogger)NullLogger.Instance;
        _reads = BackendReadRetry.Create(
            ex => ex is NpgsqlException npgsql && (PostgresEntryTable.IsBrokenConnection(npgsql) || npgsql.IsTransient),
            (ex, retry, delay) => PostgresLog.ReadRetried(_logger, _options.Table, ex.Message, retry, delay.TotalMilliseconds));
    }

    /// <summary>A backend on <paramref name="table"/> of the database <paramref name="connectionString"/> names.</summary>
    public PostgresSharedStateBackend(string connectionString, string table = "flowstate_shared")
        : this(new PostgresSharedStateBackendOptions { ConnectionString = connectionString, Table = table })
    {
    }

    /// <inheritdoc />
    public string Description => $"postgres-shared:{_options.Table}";

    /// <inheritdoc />
    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            _dataSource = _options.DataSource ?? NpgsqlDataSource.Create(_options.ConnectionString);

            // The session holds the shared table lock and listens for notifications.
            _session = await PostgresEntryTable.OpenLockedSessionAsync(
                SessionFromDataSource ? null : _options.SessionConnectionString ?? _options.ConnectionString,
                _dataSource,
                _options.Table,
                shared: true,
                _options.LockWaitTimeout,
                _logger,
                cancellationToken).ConfigureAwait(false);

            // Several processes may open the store at once: the transaction-scoped lock keeps their DDL from colliding.
            using (var create = new NpgsqlCommand(
                $"BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('flowstate-ddl:{_options.Table}', 0)); {PostgresEntryTable.CreateSql(_table)}; CREATE SEQUENCE IF NOT EXISTS {_sequence}; {ChangeTableSql()}; {CommitFunctionSql()}; COMMIT",
                _session))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // A table an exclusive store wrote before has versions of its own numbering: continue above them.
            using (var catchUp = new NpgsqlCommand(
                $"SELECT setval('{_sequence.Replace("'", "''", StringComparison.Ordinal)}', m) FROM (SELECT max(version) AS m FROM {_table}) t, {_sequence} s WHERE m > s.last_value",
                _session))
            {
                await catchUp.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException ex)
        {
            await DisposeAsync().ConfigureAwait(false);
            throw Failure("open", ex);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            // A pooled connection the server dropped (a restart) fails once; Npgsql clears its pool when a connection
            // breaks, so the retry opens a new one.
            return await _reads.ExecuteAsync(
                static (read, token) => read.Backend.ReadEntryAsync(read.ScopeKey, read.Key, token),
                (Backend: this, ScopeKey: scopeKey, Key: key),
                cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw Failure("read", ex);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BackendEntry> ScanAsync(string scopeKey, bool includeChildScopes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = new NpgsqlCommand(
                !includeChildScopes ? $"SELECT {Columns} FROM {_table} WHERE scope = $1 ORDER BY key"
                : scopeKey.Length == 0 ? $"SELECT {Columns} FROM {_table} ORDER BY scope, key"
                : $"SELECT {Columns} FROM {_table} WHERE scope >= $1 AND scope < $2 ORDER BY scope, key",
                connection);
            if (!includeChildScopes || scopeKey.Length != 0)
            {
                command.Parameters.AddWithValue(scopeKey);
            }

            if (includeChildScopes && scopeKey.Length != 0)
            {
                // Every storage key ends with '/' (0x2F): the subtree is [prefix, prefix with its last '/' as '0').
                command.Parameters.AddWithValue(PostgresEntryTable.SubtreeEnd(scopeKey));
            }

            await foreach (var entry in PostgresEntryTable.ReadAllAsync(command, ex => Failure("read", ex), cancellationToken).ConfigureAwait(false))
            {
                yield return entry;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// One round trip: a call of the function <c>{table}$commit</c> the backend creates when it opens (each process's
    /// <see cref="PostgresSharedStateBackendOptions.NotifyChanges"/> is an argument, so processes may differ).
    /// </remarks>
    public async ValueTask<SharedCommitResult> CommitAsync(IReadOnlyList<SharedChange> changes, long nowUtcTicks, Durability durability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var count = changes.Count;
        var scopes = new string[count];
        var keys = new string[count];
        var kinds = new string[count];
        var expected = new long?[count];
        var values = new byte[]?[count];
        var expires = new long[count];
        var ttls = new long[count];
        var slidings = new bool[count];
        for (var i = 0; i < count; i++)
        {
            var change = changes[i];
            scopes[i] = change.ScopeKey;
            keys[i] = change.Key;
            kinds[i] = change.Kind switch { SharedChangeKind.Upsert => "u", SharedChangeKind.Delete => "d", _ => "c" };
            expected[i] = change.ExpectedVersion;
            values[i] = change.Kind == SharedChangeKind.Upsert ? change.Value ?? throw new ArgumentException($"The upsert of '{change.Key}' has no value.", nameof(changes)) : null;
            expires[i] = change.ExpiresAtUtcTicks;
            ttls[i] = change.TimeToLiveTicks;
            slidings[i] = change.Sliding;
        }

        try
        {
            using var command = DataSource().CreateCommand($"SELECT {_commitFunction}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = scopes });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = keys });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = kinds });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = expected });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = values });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = expires });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = ttls });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean, Value = slidings });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = nowUtcTicks });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = durability == Durability.Machine });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = _options.NotifyChanges });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (long)(_options.NotifyChanges ? _options.ChangeRetention : 0) });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = _options.NotifyChanges && _options.IncludePreviousValues });
            var reply = (long[])(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            return reply[0] == 0
                ? SharedCommitResult.Conflict((int)reply[1], reply[2])
                : SharedCommitResult.Success(reply[1], reply[2..]);
        }
        catch (NpgsqlException ex)
        {
            throw Failure("write", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IAsyncEnumerable<SharedChangeNotice>> SubscribeAsync(CancellationToken cancellationToken)
    {
        var session = _session ?? throw new InvalidOperationException($"The PostgreSQL backend '{_options.Table}' is not open; open the store with SharedStateStore.OpenAsync.");
        if (!_options.NotifyChanges)
        {
            throw new NotSupportedException($"PostgreSQL table '{_options.Table}' is shared with NotifyChanges off: its commits notify no changes, so they cannot be watched.");
        }

        if (_notices is not null)
        {
            throw new InvalidOperationException("The PostgreSQL shared backend feeds one subscriber (its store); subscribe once.");
        }

        _notices = Channel.CreateUnbounded<SharedChangeNotice>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        try
        {
            await ListenOnAsync(session, cancellationToken).ConfigureAwait(false);

            // Changes committed from here on are notified; a catch-up after a reconnect starts above this.
            using var position = new NpgsqlCommand($"SELECT last_value FROM {_sequence}", session);
            _lastVersion = (long)(await position.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (NpgsqlException ex)
        {
            throw Failure("listen", ex);
        }

        _stopListening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _listening = Task.Run(() => ListenAsync(session, _stopListening.Token), CancellationToken.None);
        return _notices.Reader.ReadAllAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stopListening is { } stop)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            if (_listening is { } listening)
            {
                await listening.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            stop.Dispose();
            _stopListening = null;
        }

        if (_session is { } session)
        {
            _session = null;
            session.Notification -= OnNotification;
            await PostgresEntryTable.CloseSessionAsync(session, SessionFromDataSource, _options.Table, _logger).ConfigureAwait(false);
        }

        if (_dataSource is { } dataSource)
        {
            _dataSource = null;
            if (_options.DataSource is null)
            {
                await dataSource.DisposeAsync().ConfigureAwait(false);
            }
        }
    }




    /// <summary>
    /// The commit as a function, so that it is one round trip: it takes the keys' advisory locks in hash order (every
    /// commit does, so two never wait on each other in a cycle; the locks also cover keys that do not exist yet, which
    /// row locks cannot), reads their live versions, and — when every expected version matches — draws a version,
    /// writes, and notifies. Returns <c>{1, version, previous versions…}</c> or <c>{0, index, actual version}</c>.
    /// </summary>
    private string CommitFunctionSql()
    {
        var tableLiteral = _options.Table.Replace("'", "''", StringComparison.Ordinal);
        var sequenceLiteral = _sequence.Replace("'", "''", StringComparison.Ordinal);
        return $$"""
            CREATE OR REPLACE FUNCTION {{_commitFunction}}(
                p_scopes text[], p_keys text[], p_kinds text[], p_expected bigint[], p_values bytea[],
                p_expires bigint[], p_ttls bigint[], p_slidings boolean[], p_now bigint, p_sync boolean, p_notify boolean, p_retain bigint, p_previous boolean)
            RETURNS bigint[] LANGUAGE plpgsql AS $fn$
            DECLARE
                n int := coalesce(array_length(p_keys, 1), 0);
                previous bigint[] := array_fill(0::bigint, ARRAY[n]);
                before bytea[] := array_fill(NULL::bytea, ARRAY[n]);
                current_version bigint;
                current_value bytea;
                head text;
                v bigint;
            BEGIN
                PERFORM set_config('synchronous_commit', CASE WHEN p_sync THEN 'on' ELSE 'off' END, true);
                PERFORM pg_advisory_xact_lock(h) FROM (
                    SELECT DISTINCT hashtextextended('{{tableLiteral}}' || chr(10) || s || chr(10) || k, 0) AS h
                    FROM unnest(p_scopes, p_keys) AS u(s, k) ORDER BY h) locks;
                FOR i IN 1..n LOOP
                    SELECT t.version, CASE WHEN p_previous THEN t.value END INTO current_version, current_value FROM {{_table}} t
                    WHERE t.scope = p_scopes[i] AND t.key = p_keys[i] AND (t.expires_at = 0 OR t.expires_at > p_now);
                    IF NOT FOUND THEN current_version := 0; current_value := NULL; END IF;
                    before[i] := current_value;
                    IF p_expected[i] IS NOT NULL AND p_expected[i] <> current_version THEN
                        RETURN ARRAY[0, i - 1, current_version];
                    END IF;
                    previous[i] := current_version;
                END LOOP;
                v := nextval('{{sequenceLiteral}}');
                FOR i IN 1..n LOOP
                    IF p_kinds[i] = 'u' THEN
                        INSERT INTO {{_table}} ({{Columns}})
                        VALUES (p_scopes[i], p_keys[i], p_values[i], v, p_expires[i], p_ttls[i], p_slidings[i])
                        ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, version = excluded.version,
                            expires_at = excluded.expires_at, ttl = excluded.ttl, sliding = excluded.sliding;
                        IF p_notify AND NOT p_previous THEN
                            PERFORM pg_notify('{{_channel}}', v || chr(10) ||
                                CASE WHEN octet_length(p_values[i]) <= {{MaxNotifyValueBytes}}
                                    THEN 's' || chr(10) || p_scopes[i] || chr(10) || p_keys[i] || chr(10) || convert_from(p_values[i], 'UTF8')
                                    ELSE 'S' || chr(10) || p_scopes[i] || chr(10) || p_keys[i] || chr(10) END);
                        ELSIF p_notify THEN
                            -- The previous value first on the last line, its length after the kind; what does not fit is
                            -- left out (length -1, or kind S) and read from the change table by the watcher's feed.
                            IF octet_length(p_values[i]) + coalesce(octet_length(before[i]), 0) <= {{MaxNotifyValueBytes}} THEN
                                head := 's ' || previous[i] || ' ' || coalesce(octet_length(before[i]), -1);
                                PERFORM pg_notify('{{_channel}}', v || chr(10) || head || chr(10) || p_scopes[i] || chr(10) || p_keys[i] || chr(10)
                                    || convert_from(coalesce(before[i], ''::bytea), 'UTF8') || convert_from(p_values[i], 'UTF8'));
                            ELSE
                                head := CASE WHEN octet_length(p_values[i]) <= {{MaxNotifyValueBytes}} THEN 's ' ELSE 'S ' END || previous[i] || ' -1';
                                PERFORM pg_notify('{{_channel}}', v || chr(10) || head || chr(10) || p_scopes[i] || chr(10) || p_keys[i] || chr(10)
                                    || CASE WHEN octet_length(p_values[i]) <= {{MaxNotifyValueBytes}} THEN convert_from(p_values[i], 'UTF8') ELSE '' END);
                            END IF;
                        END IF;
                        IF p_retain > 0 THEN
                            INSERT INTO {{_changes}} VALUES (v, i, p_scopes[i], p_keys[i], false, p_values[i],
                                CASE WHEN p_previous THEN previous[i] END, before[i]);
                        END IF;
                    ELSIF p_kinds[i] = 'd' THEN
                        DELETE FROM {{_table}} WHERE scope = p_scopes[i] AND key = p_keys[i];
                        IF p_notify AND previous[i] <> 0 AND NOT p_previous THEN
                            PERFORM pg_notify('{{_channel}}', v || chr(10) || 'd' || chr(10) || p_scopes[i] || chr(10) || p_keys[i] || chr(10));
                        ELSIF p_notify AND previous[i] <> 0 THEN
                            PERFORM pg_notify('{{_channel}}', v || chr(10) || 'd ' || previous[i] || ' '
                                || CASE WHEN octet_length(before[i]) <= {{MaxNotifyValueBytes}} THEN octet_length(before[i]) ELSE -1 END
                                || chr(10) || p_scopes[i] || chr(10) || p_keys[i] || chr(10)
                                || CASE WHEN octet_length(before[i]) <= {{MaxNotifyValueBytes}} THEN convert_from(before[i], 'UTF8') ELSE '' END);
                        END IF;
                        IF p_retain > 0 AND previous[i] <> 0 THEN
                            INSERT INTO {{_changes}} VALUES (v, i, p_scopes[i], p_keys[i], true, NULL, CASE WHEN p_previous THEN previous[i] END, before[i]);
                        END IF;
                    END IF;
                END LOOP;
                -- The change table keeps the last p_retain versions, trimmed every 64 versions (its marker says how far).
                IF p_retain > 0 AND v % 64 = 0 THEN
                    DELETE FROM {{_changes}} WHERE version <= v - p_retain;
                    UPDATE {{_feed}} SET trimmed = greatest(trimmed, v - p_retain) WHERE id = 1;
                END IF;
                RETURN ARRAY[1, v] || previous;
            END
            $fn$
            """;
    }

    private async Task ListenOnAsync(NpgsqlConnection session, CancellationToken cancellationToken)
    {
        session.Notification += OnNotification;
        using var listen = new NpgsqlCommand($"LISTEN \"{_channel}\"", session);
        await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (SharedChangeNotice.Parse(e.Payload) is { } notice)
        {
            _arrived.Add(notice);
        }
    }

    /// <summary>
    /// Delivers the notifications arrived, in order; a value too large for NOTIFY is read from the change table on the
    /// session first, so a watcher never has to read it from a server that may be down by then.
    /// </summary>
    private async Task DeliverArrivedAsync(NpgsqlConnection session, CancellationToken cancellationToken)
    {
        while (_arrived.Count > 0)
        {
            var arrived = _arrived.ToArray();
            _arrived.Clear();
            foreach (var arrival in arrived)
            {
                var notice = arrival;
                if (_caughtUp.Contains(notice.Version))
                {
                    continue;
                }

                var valueLeftOut = notice.Value is null && !notice.Deleted;
                var previousLeftOut = notice.PreviousVersion > 0 && notice.PreviousValue is null;
                if ((valueLeftOut || previousLeftOut) && _options.ChangeRetention > 0)
                {
                    var (value, previous) = await ReadChangedValueAsync(session, notice, cancellationToken).ConfigureAwait(false);
                    notice = notice with { Value = valueLeftOut ? value : notice.Value, PreviousValue = previousLeftOut ? previous : notice.PreviousValue };
                }

                Deliver(notice);
            }
        }
    }

    // Nulls when the change table no longer holds it: the watcher then reads the key's value (and has no previous one).
    private async Task<(byte[]? Value, byte[]? Previous)> ReadChangedValueAsync(NpgsqlConnection session, SharedChangeNotice notice, CancellationToken cancellationToken)
    {
        using var read = new NpgsqlCommand($"SELECT value, previous FROM {_changes} WHERE version = $1 AND scope = $2 AND key = $3", session);
        read.Parameters.AddWithValue(notice.Version);
        read.Parameters.AddWithValue(notice.ScopeKey);
        read.Parameters.AddWithValue(notice.Key);
        using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? (reader.IsDBNull(0) ? null : reader.GetFieldValue<byte[]>(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1))
            : (null, null);
    }

    private void Deliver(SharedChangeNotice notice)
    {
        // A commit's keys share its version: one slot per version.
        if (_recent.Add(notice.Version))
        {
            _recentOrder.Enqueue(notice.Version);
            if (_recentOrder.Count > 4096)
            {
                _recent.Remove(_recentOrder.Dequeue());
            }
        }

        _lastVersion = Math.Max(_lastVersion, notice.Version);
        _notices?.Writer.TryWrite(notice);
    }

    private async Task ListenAsync(NpgsqlConnection session, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                try
                {
                    await DeliverArrivedAsync(session, cancellationToken).ConfigureAwait(false);
                    await session.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (NpgsqlException ex) when (_options.ReconnectTimeout > TimeSpan.Zero && PostgresEntryTable.IsBrokenConnection(ex) && !cancellationToken.IsCancellationRequested)
                {
                    session = await ReopenSessionAsync(session, ex, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _notices?.Writer.TryComplete();
        }
        catch (NpgsqlException ex)
        {
            PostgresLog.ListenFailed(_logger, ex, _options.Table);
            _notices?.Writer.TryComplete(Failure("listen", ex));
        }
        catch (StateBackendException ex)
        {
            PostgresLog.ListenFailed(_logger, ex, _options.Table);
            _notices?.Writer.TryComplete(ex);
        }
    }

    /// <summary>
    /// Opens a new session with the table's shared lock, listens again, and delivers from the change table what was
    /// committed meanwhile (notifications arriving meanwhile wait for the loop, so every key's changes stay in order);
    /// ends the feed with an error when no session opens within
    /// <see cref="PostgresSharedStateBackendOptions.ReconnectTimeout"/> or the change table no longer holds all that was
    /// missed.
    /// </summary>
    private async Task<NpgsqlConnection> ReopenSessionAsync(NpgsqlConnection broken, NpgsqlException cause, CancellationToken cancellationToken)
    {
        PostgresLog.SessionLost(_logger, _options.Table, cause.Message, _options.ReconnectTimeout.TotalSeconds);
        broken.Notification -= OnNotification;
        _session = null;
        await broken.DisposeAsync().ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ReconnectTimeout);
        var retry = PostgresEntryTable.SessionReopenRetry();
        NpgsqlConnection session;
        try
        {
            session = await retry.ExecuteAsync(
                async token => await PostgresEntryTable.OpenLockedSessionAsync(
                    SessionFromDataSource ? null : _options.SessionConnectionString ?? _options.ConnectionString, DataSource(), _options.Table, shared: true, _options.LockWaitTimeout, _logger, token).ConfigureAwait(false),
                deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or NpgsqlException && !cancellationToken.IsCancellationRequested)
        {
            throw new StateBackendException(
                string.Create(CultureInfo.InvariantCulture, $"PostgreSQL table '{_options.Table}' lost the session its change feed listens on ({cause.Message}) and no new one could be opened within {_options.ReconnectTimeout.TotalSeconds:0.#} s; open the store again once the server is back."),
                ex);
        }

        // What arrived on the broken session and was not delivered is in the change table: the catch-up delivers it.
        _arrived.Clear();
        _caughtUp = [];
        try
        {
            await ListenOnAsync(session, cancellationToken).ConfigureAwait(false);
            await CatchUpAsync(session, cause, _caughtUp, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            session.Notification -= OnNotification;
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _session = session;
        PostgresLog.FeedResumed(_logger, _options.Table, _lastVersion);
        return session;
    }

    private async Task CatchUpAsync(NpgsqlConnection session, NpgsqlException cause, HashSet<long> caughtUp, CancellationToken cancellationToken)
    {
        var delivered = new HashSet<long>(_recent);
        var from = _recent.Count == 0 ? _lastVersion : Math.Min(_lastVersion, _recent.Min());
        if (_options.ChangeRetention <= 0)
        {
            throw new StateBackendException(string.Create(CultureInfo.InvariantCulture,
                $"PostgreSQL table '{_options.Table}' lost the session its change feed listens on ({cause.Message}) and keeps no change table (ChangeRetention is 0), so what was committed meanwhile cannot be delivered; watch again."));
        }

        using (var trimmed = new NpgsqlCommand($"SELECT trimmed FROM {_feed}", session))
        {
            var through = (long)(await trimmed.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L);
            if (through > _lastVersion)
            {
                throw new StateBackendException(string.Create(CultureInfo.InvariantCulture,
                    $"The change feed of PostgreSQL table '{_options.Table}' fell too far behind while its session was down: it had delivered version {_lastVersion}, and the change table keeps only versions after {through} (ChangeRetention {_options.ChangeRetention}). Raise ChangeRetention or reconnect sooner, then read the state again and watch again."));
            }
        }

        using var missed = new NpgsqlCommand($"SELECT version, scope, key, deleted, value, previous_version, previous FROM {_changes} WHERE version > $1 ORDER BY version, seq", session);
        missed.Parameters.AddWithValue(from);
        var reader = await missed.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var version = reader.GetInt64(0);
                if (delivered.Contains(version))
                {
                    continue;
                }

                caughtUp.Add(version);
                Deliver(new SharedChangeNotice(reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), version, reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4))
                {
                    PreviousVersion = reader.IsDBNull(5) ? null : reader.GetInt64(5),
                    PreviousValue = reader.IsDBNull(6) ? null : reader.GetFieldValue<byte[]>(6),
                });
            }
        }
    }

    /// <summary>The change table a watcher catches up from, and the one-row table that says how far it was trimmed.</summary>
    private string ChangeTableSql() =>
        $"CREATE TABLE IF NOT EXISTS {_changes} (version bigint NOT NULL, seq int NOT NULL, scope text NOT NULL, key text NOT NULL, deleted boolean NOT NULL, value bytea, PRIMARY KEY (version, seq)); " +
        $"ALTER TABLE {_changes} ADD COLUMN IF NOT EXISTS previous_version bigint, ADD COLUMN IF NOT EXISTS previous bytea; " +
        $"CREATE TABLE IF NOT EXISTS {_feed} (id int PRIMARY KEY CHECK (id = 1), trimmed bigint NOT NULL); " +
        $"INSERT INTO {_feed} VALUES (1, 0) ON CONFLICT DO NOTHING";

    // An app's data source serves the session too, unless a session connection string says where sessions go.
    private bool SessionFromDataSource => _options.DataSource is not null && _options.SessionConnectionString is null;

    private NpgsqlDataSource DataSource() =>
        _dataSource ?? throw new InvalidOperationException($"The PostgreSQL backend '{_options.Table}' is not open; open the store with SharedStateStore.OpenAsync.");

    private async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await DataSource().OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw Failure("connect", ex);
        }
    }

    private async ValueTask<BackendEntry?> ReadEntryAsync(string scopeKey, string key, CancellationToken cancellationToken)
    {
        using var command = DataSource().CreateCommand($"SELECT {Columns} FROM {_table} WHERE scope = $1 AND key = $2");
        command.Parameters.AddWithValue(scopeKey);
        command.Parameters.AddWithValue(key);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? PostgresEntryTable.ReadRow(reader) : null;
        }
    }

    private StateBackendException Failure(string what, NpgsqlException ex) =>
        new(string.Create(CultureInfo.InvariantCulture, $"PostgreSQL table '{_options.Table}' failed to {what}: {ex.Message}"), ex);
}
