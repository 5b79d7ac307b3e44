using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace FlowState.Postgres;

/// <summary>
/// Shared state on PostgreSQL (<see cref="SharedStateStore"/>'s backend): the table of <see cref="PostgresStateBackend"/>
/// (<c>scope, key, value, version, expires_at, ttl, sliding</c>), written by any number of processes. A commit is one
/// transaction that takes a transaction-scoped advisory lock per key (in a fixed order, so commits never deadlock),
/// reads the keys' live versions, and — when every expected version matches — writes the changes under a version from
/// the sequence <c>{table}_version</c> and notifies them on the channel named after the table (<c>LISTEN/NOTIFY</c>
/// feeds the watchers of every process). <see cref="Durability.Machine"/> commits with <c>synchronous_commit=on</c>,
/// the other levels with <c>off</c>.
/// </summary>
/// <remarks>
/// Each process holds a shared advisory lock on the table while its store is open, so an exclusive
/// <see cref="PostgresStateBackend"/> (which keeps the state in its own memory) cannot open the same table meanwhile,
/// nor the other way round. Connections come from an Npgsql pool; statements are not prepared on the server.
/// </remarks>
public sealed class PostgresSharedStateBackend : ISharedStateBackend
{
    private const string Columns = PostgresEntryTable.Columns;
    private const int MaxNotifyValueBytes = 7000; // NOTIFY payloads must stay under 8000 bytes; larger values are read by the watcher

    private readonly PostgresSharedStateBackendOptions _options;
    private readonly string _table;
    private readonly string _sequence;
    private readonly string _channel;
    private NpgsqlDataSource? _dataSource;
    private NpgsqlConnection? _session;
    private Channel<SharedChangeNotice>? _notices;
    private Task? _listening;
    private CancellationTokenSource? _stopListening;

    /// <summary>A backend on <see cref="PostgresSharedStateBackendOptions.Table"/> of the database the connection string names.</summary>
    /// <exception cref="ArgumentException">The connection string is empty, or the table is not a plain identifier.</exception>
    public PostgresSharedStateBackend(PostgresSharedStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString, "options.ConnectionString");
        _table = PostgresTableName.Quote(options.Table);
        _sequence = PostgresTableName.Quote(options.Table + "_version");
        _channel = "flowstate_" + options.Table.Replace('.', '_');
        _options = options;
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
            _dataSource = NpgsqlDataSource.Create(_options.ConnectionString);

            // The session connection holds the shared table lock and listens; not pooled, so closing it ends both.
            _session = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_options.ConnectionString) { Pooling = false, KeepAlive = 30 }.ConnectionString);
            await _session.OpenAsync(cancellationToken).ConfigureAwait(false);
            using (var lockCommand = new NpgsqlCommand("SELECT pg_try_advisory_lock_shared(hashtextextended($1, 0))", _session))
            {
                lockCommand.Parameters.AddWithValue("flowstate:" + _options.Table);
                if (await lockCommand.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
                {
                    throw new StateBackendException(
                        $"PostgreSQL table '{_options.Table}' is held by an exclusive FlowState store (PostgresStateBackend); a shared store cannot use it meanwhile. Close that store, or give the shared store its own table.");
                }
            }

            using (var create = new NpgsqlCommand(
                PostgresEntryTable.CreateSql(_table) + $"; CREATE SEQUENCE IF NOT EXISTS {_sequence}",
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
            using var command = DataSource().CreateCommand($"SELECT {Columns} FROM {_table} WHERE scope = $1 AND key = $2");
            command.Parameters.AddWithValue(scopeKey);
            command.Parameters.AddWithValue(key);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? PostgresEntryTable.ReadRow(reader) : null;
            }
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
    public async ValueTask<SharedCommitResult> CommitAsync(IReadOnlyList<SharedChange> changes, long nowUtcTicks, Durability durability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        try
        {
            var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var (live, version) = await LockAndReadAsync(connection, transaction, changes, nowUtcTicks, cancellationToken).ConfigureAwait(false);
                    var previous = new long[changes.Count];
                    for (var i = 0; i < changes.Count; i++)
                    {
                        previous[i] = live.GetValueOrDefault((changes[i].ScopeKey, changes[i].Key));
                        if (changes[i].ExpectedVersion is { } expected && expected != previous[i])
                        {
                            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                            return SharedCommitResult.Conflict(i, previous[i]);
                        }
                    }

                    using var batch = new NpgsqlBatch(connection, transaction);
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(durability == Durability.Machine ? "SET LOCAL synchronous_commit = on" : "SET LOCAL synchronous_commit = off"));
                    for (var i = 0; i < changes.Count; i++)
                    {
                        AddWrite(batch, changes[i], version, previous[i]);
                    }

                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return SharedCommitResult.Success(version, previous);
                }
            }
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
        if (_notices is not null)
        {
            throw new InvalidOperationException("The PostgreSQL shared backend feeds one subscriber (its store); subscribe once.");
        }

        _notices = Channel.CreateUnbounded<SharedChangeNotice>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        session.Notification += OnNotification;
        try
        {
            using var listen = new NpgsqlCommand($"LISTEN \"{_channel}\"", session);
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
            await session.DisposeAsync().ConfigureAwait(false); // ends the session, and with it the shared table lock
        }

        if (_dataSource is { } dataSource)
        {
            _dataSource = null;
            await dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }


    private static NpgsqlParameter Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = value };

    private static NpgsqlParameter Bigint(long value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = value };

    /// <summary>
    /// Takes the keys' advisory locks in hash order (every commit does, so two never wait on each other in a cycle),
    /// then reads their live versions and draws the commit's version.
    /// </summary>
    private async Task<(Dictionary<(string, string), long> Live, long Version)> LockAndReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<SharedChange> changes, long now, CancellationToken cancellationToken)
    {
        var scopes = changes.Select(c => c.ScopeKey).ToArray();
        var keys = changes.Select(c => c.Key).ToArray();
        using var batch = new NpgsqlBatch(connection, transaction);
        var lockCommand = new NpgsqlBatchCommand(
            "SELECT count(pg_advisory_xact_lock(h)) FROM (SELECT DISTINCT hashtextextended($1 || chr(10) || s || chr(10) || k, 0) AS h FROM unnest($2::text[], $3::text[]) AS u(s, k) ORDER BY h) locks");
        lockCommand.Parameters.Add(Text(_options.Table));
        lockCommand.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = scopes });
        lockCommand.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = keys });
        batch.BatchCommands.Add(lockCommand);
        var read = new NpgsqlBatchCommand(
            $"SELECT t.scope, t.key, t.version FROM {_table} t JOIN unnest($1::text[], $2::text[]) AS u(s, k) ON t.scope = u.s AND t.key = u.k WHERE t.expires_at = 0 OR t.expires_at > $3");
        read.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = scopes });
        read.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = keys });
        read.Parameters.Add(Bigint(now));
        batch.BatchCommands.Add(read);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT nextval('{_sequence.Replace("'", "''", StringComparison.Ordinal)}')"));

        var live = new Dictionary<(string, string), long>();
        long version;
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                live[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            version = reader.GetInt64(0);
        }

        return (live, version);
    }

    private void AddWrite(NpgsqlBatch batch, SharedChange change, long version, long previous)
    {
        switch (change.Kind)
        {
            case SharedChangeKind.Upsert:
            {
                var value = change.Value ?? throw new ArgumentException($"The upsert of '{change.Key}' has no value.", nameof(change));
                var upsert = new NpgsqlBatchCommand(
                    $"INSERT INTO {_table} ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7) " +
                    "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at, ttl = excluded.ttl, sliding = excluded.sliding");
                upsert.Parameters.Add(Text(change.ScopeKey));
                upsert.Parameters.Add(Text(change.Key));
                upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = value });
                upsert.Parameters.Add(Bigint(version));
                upsert.Parameters.Add(Bigint(change.ExpiresAtUtcTicks));
                upsert.Parameters.Add(Bigint(change.TimeToLiveTicks));
                upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = change.Sliding });
                batch.BatchCommands.Add(upsert);
                AddNotify(batch, value.Length <= MaxNotifyValueBytes
                    ? $"{version}\ns\n{change.ScopeKey}\n{change.Key}\n{Encoding.UTF8.GetString(value)}"
                    : $"{version}\nS\n{change.ScopeKey}\n{change.Key}\n");
                break;
            }

            case SharedChangeKind.Delete:
            {
                var delete = new NpgsqlBatchCommand($"DELETE FROM {_table} WHERE scope = $1 AND key = $2");
                delete.Parameters.Add(Text(change.ScopeKey));
                delete.Parameters.Add(Text(change.Key));
                batch.BatchCommands.Add(delete);
                if (previous != 0)
                {
                    AddNotify(batch, $"{version}\nd\n{change.ScopeKey}\n{change.Key}\n");
                }

                break;
            }
        }
    }

    private void AddNotify(NpgsqlBatch batch, string payload)
    {
        var notify = new NpgsqlBatchCommand("SELECT pg_notify($1, $2)");
        notify.Parameters.Add(Text(_channel));
        notify.Parameters.Add(Text(payload));
        batch.BatchCommands.Add(notify);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var parts = e.Payload.Split('\n', 5);
        if (parts.Length == 5 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            _notices?.Writer.TryWrite(new SharedChangeNotice(parts[2], parts[3], parts[1] == "d", version, parts[1] == "s" ? Encoding.UTF8.GetBytes(parts[4]) : null));
        }
    }

    private async Task ListenAsync(NpgsqlConnection session, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await session.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _notices?.Writer.TryComplete();
        }
        catch (NpgsqlException ex)
        {
            _notices?.Writer.TryComplete(Failure("listen", ex));
        }
    }

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

    private StateBackendException Failure(string what, NpgsqlException ex) =>
        new(string.Create(CultureInfo.InvariantCulture, $"PostgreSQL table '{_options.Table}' failed to {what}: {ex.Message}"), ex);
}
