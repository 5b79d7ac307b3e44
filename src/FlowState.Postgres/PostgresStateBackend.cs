using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace FlowState.Postgres;

/// <summary>
/// Keeps a store in one PostgreSQL table: <c>(scope, key, value, version, expires_at, ttl, sliding)</c>, keyed by scope
/// and key in byte order (<c>COLLATE "C"</c>), so that a scope subtree is one range. A group commit is one transaction
/// (one round trip of upserts and deletes). <see cref="Durability.Machine"/> commits with <c>synchronous_commit=on</c>
/// (the server's WAL is flushed before it acknowledges); <see cref="Durability.Process"/> and <see cref="Durability.None"/>
/// with <c>synchronous_commit=off</c> (acknowledged once the server has the commit, so this process dying loses nothing;
/// a server crash may lose its last commits).
/// </summary>
/// <remarks>
/// Like the embedded backends, the store keeps its state in memory and numbers versions itself, so one table has one
/// store at a time: the backend holds a session advisory lock on the table's name for as long as it is open, and a
/// second store on the same table is refused. Sharing state between processes through the server is a different
/// design, not this backend.
/// </remarks>
public sealed class PostgresStateBackend : IStateBackend, IStateBackupSource, IReadOnlyStateBackend
{
    private const string Columns = PostgresEntryTable.Columns;

    private readonly PostgresStateBackendOptions _options;
    private readonly string _table;
    private readonly ILogger _logger;
    private NpgsqlConnection? _connection;

    // The highest version this store read or wrote: a table holding a higher one after the session was re-opened was
    // written by another store meanwhile.
    private long _highestVersion;

    // The session holds the table's advisory lock, so it is the only connection; reads through a bounded store
    // (paged-out values) come from any thread while the group-commit flusher writes: one command at a time.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A backend on <see cref="PostgresStateBackendOptions.Table"/> of the database the connection string names.</summary>
    /// <exception cref="ArgumentException">Neither a connection string nor a data source is given, or the table is not a plain identifier.</exception>
    public PostgresStateBackend(PostgresStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DataSource is null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString, "options.ConnectionString");
        }

        PostgresTableName.CheckStoreTable(options.Table);
        _table = PostgresTableName.Quote(options.Table);
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<PostgresStateBackend>() ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>A backend on <paramref name="table"/> of the database <paramref name="connectionString"/> names.</summary>
    public PostgresStateBackend(string connectionString, string table = "flowstate_entries")
        : this(new PostgresStateBackendOptions { ConnectionString = connectionString, Table = table })
    {
    }

    /// <inheritdoc />
    public string Description => $"postgres:{_options.Table}";

    /// <inheritdoc />
    public bool IsReadOnly => _options.ReadOnly;

    /// <inheritdoc />
    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_options.ReadOnly)
            {
                await OpenReadOnlyAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _connection = await OpenLockedSessionAsync(cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(PostgresEntryTable.CreateSql(_table), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException ex)
        {
            await DisposeAsync().ConfigureAwait(false);
            throw Failure(_options.ReadOnly ? "open read-only" : "open", ex);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // The store's session, holding the table's advisory lock (at open, and again after the server dropped it).
    private Task<NpgsqlConnection> OpenLockedSessionAsync(CancellationToken cancellationToken) =>
        PostgresEntryTable.OpenLockedSessionAsync(
            _options.DataSource is null ? _options.ConnectionString : null, _options.DataSource, _options.Table, shared: false, _options.LockWaitTimeout, _logger, cancellationToken);

    // A session without the table's lock, whose transactions are read-only: the writer's store keeps its lock.
    private async Task OpenReadOnlyAsync(CancellationToken cancellationToken)
    {
        _connection = _options.DataSource is { } dataSource
            ? await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false)
            : new NpgsqlConnection(_options.ConnectionString);
        if (_connection.State != System.Data.ConnectionState.Open)
        {
            await _connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", cancellationToken).ConfigureAwait(false);
        using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", _connection);
        exists.Parameters.AddWithValue(_table);
        if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
        {
            throw new StateBackendException(
                $"PostgreSQL table '{_options.Table}' does not exist; a read-only store cannot create it. Check the table name, or open it once without ReadOnly.");
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BackendEntry> ScanAsync(string scopeKeyPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopeKeyPrefix);
        if (scopeKeyPrefix.Length != 0 && !scopeKeyPrefix.EndsWith('/'))
        {
            throw new ArgumentException($"'{scopeKeyPrefix}' is not a scope storage key (it must end with '/').", nameof(scopeKeyPrefix));
        }

        using var command = new NpgsqlCommand(
            scopeKeyPrefix.Length == 0
                ? $"SELECT {Columns} FROM {_table} ORDER BY scope, key"
                : $"SELECT {Columns} FROM {_table} WHERE scope >= $1 AND scope < $2 ORDER BY scope, key",
            Connection());
        if (scopeKeyPrefix.Length != 0)
        {
            // Every storage key ends with '/' (0x2F), so the subtree is the range [prefix, prefix with its last '/' as '0').
            command.Parameters.AddWithValue(scopeKeyPrefix);
            command.Parameters.AddWithValue(PostgresEntryTable.SubtreeEnd(scopeKeyPrefix));
        }

        await foreach (var entry in PostgresEntryTable.ReadAllAsync(command, ex => Failure("read", ex), cancellationToken).ConfigureAwait(false))
        {
            _highestVersion = Math.Max(_highestVersion, entry.Version);
            yield return entry;
        }
    }

    /// <inheritdoc />
    public async ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        ArgumentNullException.ThrowIfNull(key);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                return await GetCoreAsync(scopeKey, key, cancellationToken).ConfigureAwait(false);
            }
            catch (StateBackendException ex) when (SessionLost(ex) is { } lost)
            {
                await ReconnectAsync([], lost, cancellationToken).ConfigureAwait(false);
                return await GetCoreAsync(scopeKey, key, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<BackendEntry?> GetCoreAsync(string scopeKey, string key, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"SELECT {Columns} FROM {_table} WHERE scope = $1 AND key = $2", Connection());
        command.Parameters.AddWithValue(scopeKey);
        command.Parameters.AddWithValue(key);
        try
        {
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
    public async ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (_options.ReadOnly)
        {
            throw new StateRejectedException($"PostgreSQL table '{_options.Table}' was opened read-only; open it without ReadOnly to write.");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var highest = Math.Max(_highestVersion, changes.Select(change => change.Entry?.Version ?? 0).DefaultIfEmpty().Max());
            try
            {
                await ApplyCoreAsync(changes, durability, cancellationToken).ConfigureAwait(false);
            }
            catch (StateBackendException ex) when (SessionLost(ex) is { } lost)
            {
                // The commit may or may not have reached the table before the session broke. Repeating it is harmless:
                // it writes whole values with their versions and deletes keys, and the lock, taken again, shows that no
                // other store wrote meanwhile.
                await ReconnectAsync(changes, lost, cancellationToken).ConfigureAwait(false);
                await ApplyCoreAsync(changes, durability, cancellationToken).ConfigureAwait(false);
            }

            _highestVersion = highest;
        }
        finally
        {
            _gate.Release();
        }
    }

    private NpgsqlException? SessionLost(StateBackendException ex) =>
        !_options.ReadOnly && _options.ReconnectTimeout > TimeSpan.Zero && ex.InnerException is NpgsqlException npgsql && PostgresEntryTable.IsBrokenConnection(npgsql) ? npgsql : null;

    /// <summary>
    /// Opens a new session holding the table's lock after the server dropped the old one, retrying while the server
    /// is not back, for at most <see cref="PostgresStateBackendOptions.ReconnectTimeout"/>; refuses to go on when the
    /// table holds a row newer than what this store read or wrote, other than the rows of the commit in flight
    /// (<paramref name="inFlight"/>, which may have reached the table before the session broke): another store had the
    /// table meanwhile.
    /// </summary>
    private async Task ReconnectAsync(IReadOnlyList<BackendChange> inFlight, NpgsqlException cause, CancellationToken cancellationToken)
    {
        PostgresLog.SessionLost(_logger, _options.Table, cause.Message, _options.ReconnectTimeout.TotalSeconds);
        if (Interlocked.Exchange(ref _connection, null) is { } broken)
        {
            await broken.DisposeAsync().ConfigureAwait(false);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ReconnectTimeout);
        var retry = PostgresEntryTable.SessionReopenRetry();
        try
        {
            _connection = await retry.ExecuteAsync(async token => await OpenLockedSessionAsync(token).ConfigureAwait(false), deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or NpgsqlException && !cancellationToken.IsCancellationRequested)
        {
            throw new StateBackendException(
                string.Create(CultureInfo.InvariantCulture, $"PostgreSQL table '{_options.Table}' lost the store's session ({cause.Message}) and no new one could be opened within {_options.ReconnectTimeout.TotalSeconds:0.#} s; open the store again once the server is back."),
                ex);
        }

        var ours = inFlight.Where(change => change.Entry is not null).Select(change => (change.ScopeKey, change.Key, change.Entry!.Version)).ToHashSet();
        var foreign = new List<string>();
        try
        {
            using var newer = new NpgsqlCommand($"SELECT scope, key, version FROM {_table} WHERE version > $1", _connection);
            newer.Parameters.AddWithValue(_highestVersion);
            var reader = await newer.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!ours.Contains((reader.GetString(0), reader.GetString(1), reader.GetInt64(2))))
                    {
                        foreign.Add(string.Create(CultureInfo.InvariantCulture, $"'{reader.GetString(1)}' at version {reader.GetInt64(2)}"));
                    }
                }
            }
        }
        catch (NpgsqlException ex)
        {
            throw Failure("check for another store's rows after reconnecting", ex);
        }

        if (foreign.Count > 0)
        {
            var session = Interlocked.Exchange(ref _connection, null);
            await PostgresEntryTable.CloseSessionAsync(session!, fromDataSource: _options.DataSource is not null, _options.Table, _logger).ConfigureAwait(false);
            throw new StateBackendException(string.Create(
                CultureInfo.InvariantCulture,
                $"PostgreSQL table '{_options.Table}' was written by another store while this store's session was down ({foreign.Count} row(s), e.g. key {foreign[0]}; this store had written up to version {_highestVersion}); open the store again to load what that store wrote."));
        }

        PostgresLog.SessionReopened(_logger, _options.Table);
    }

    private async ValueTask ApplyCoreAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        var connection = Connection();
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var transactionScope = transaction.ConfigureAwait(false);
            using var batch = new NpgsqlBatch(connection, transaction);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(durability == Durability.Machine ? "SET LOCAL synchronous_commit = on" : "SET LOCAL synchronous_commit = off"));
            foreach (var change in changes)
            {
                if (change.Entry is { } entry)
                {
                    var upsert = new NpgsqlBatchCommand(
                        $"INSERT INTO {_table} ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7) " +
                        "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at, ttl = excluded.ttl, sliding = excluded.sliding");
                    upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = entry.ScopeKey });
                    upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = entry.Key });
                    upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = entry.Value });
                    upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = entry.Version });
                    upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = entry.ExpiresAtUtcTicks });
                    upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = entry.TimeToLiveTicks });
                    upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = entry.Sliding });
                    batch.BatchCommands.Add(upsert);
                }
                else
                {
                    var delete = new NpgsqlBatchCommand($"DELETE FROM {_table} WHERE scope = $1 AND key = $2");
                    delete.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = change.ScopeKey });
                    delete.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = change.Key });
                    batch.BatchCommands.Add(delete);
                }
            }

            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw Failure("write", ex);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <paramref name="destination"/> is a table name in the same database: the copy is made from one snapshot
    /// (<c>REPEATABLE READ</c>) on a connection of its own, while the store goes on writing. Open it with a backend on
    /// that table.
    /// </remarks>
    public async ValueTask BackupAsync(string destination, CancellationToken cancellationToken)
    {
        var target = PostgresTableName.Quote(destination);
        _ = Connection();
        try
        {
            var connection = _options.DataSource?.CreateConnection() ?? new NpgsqlConnection(_options.ConnectionString);
            await using var connectionScope = connection.ConfigureAwait(false);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            await using var transactionScope = transaction.ConfigureAwait(false);
            using (var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection, transaction))
            {
                exists.Parameters.AddWithValue(target);
                if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                {
                    throw new IOException($"The backup destination table '{destination}' exists; FlowState does not overwrite it.");
                }
            }

            using (var copy = new NpgsqlCommand($"CREATE TABLE {target} (LIKE {_table} INCLUDING ALL); INSERT INTO {target} SELECT * FROM {_table}", connection, transaction))
            {
                await copy.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw new StateBackendException($"PostgreSQL table '{_options.Table}' could not be backed up to '{destination}': {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_connection is { } connection)
            {
                _connection = null;
                if (_options.ReadOnly)
                {
                    // Holds no lock and listens to nothing: a pooled connection goes back to its pool as it is.
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
                else
                {
                    await PostgresEntryTable.CloseSessionAsync(connection, fromDataSource: _options.DataSource is not null, _options.Table, _logger).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }



    private NpgsqlConnection Connection() =>
        _connection ?? throw new InvalidOperationException($"The PostgreSQL backend '{_options.Table}' is not open; open the store with StateStore.OpenAsync.");

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(sql, Connection());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private StateBackendException Failure(string what, NpgsqlException ex) =>
        new(string.Create(CultureInfo.InvariantCulture, $"PostgreSQL table '{_options.Table}' failed to {what}: {ex.Message}"), ex);

}
