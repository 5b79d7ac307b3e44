using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace FlowState.Sqlite;

/// <summary>
/// The embedded default backend: one SQLite file in WAL mode. <see cref="Durability.Process"/> commits with
/// <c>synchronous=NORMAL</c> (the WAL is written before the commit returns, so a killed process loses nothing);
/// <see cref="Durability.Machine"/> with <c>synchronous=FULL</c> (the WAL is fsynced). A schema table records the
/// schema version; a file of a newer schema is refused.
/// </summary>
public sealed class SqliteStateBackend : IStateBackend
{
    /// <summary>The schema this version writes and reads.</summary>
    public const int SchemaVersion = 1;

    private readonly SqliteStateBackendOptions _options;
    private SqliteConnection? _connection;
    private SqliteCommand? _upsert;
    private SqliteCommand? _delete;
    private Durability? _synchronous;

    /// <summary>A backend on the file <see cref="SqliteStateBackendOptions.Path"/>.</summary>
    public SqliteStateBackend(SqliteStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path, "options.Path");
        _options = options;
    }

    /// <summary>A backend on the file <paramref name="path"/>.</summary>
    public SqliteStateBackend(string path)
        : this(new SqliteStateBackendOptions { Path = path })
    {
    }

    /// <inheritdoc />
    public string Description => $"sqlite:{_options.Path}";

    /// <inheritdoc />
    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            var builder = new SqliteConnectionStringBuilder
            {
                DataSource = _options.Path,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
                DefaultTimeout = (int)Math.Ceiling(_options.BusyTimeout.TotalSeconds),
            };
            _connection = new SqliteConnection(builder.ToString());
            _connection.Open();
            Execute($"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds};");
            var mode = Scalar("PRAGMA journal_mode = WAL;") as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new StateBackendException($"SQLite file '{_options.Path}' could not be switched to WAL mode (it is in '{mode}' mode).");
            }

            using (var transaction = _connection.BeginTransaction())
            {
                Execute("CREATE TABLE IF NOT EXISTS flowstate_schema (name TEXT PRIMARY KEY, version INTEGER NOT NULL);", transaction);
                var stored = Scalar("SELECT version FROM flowstate_schema WHERE name = 'entries';", transaction);
                if (stored is long version && version > SchemaVersion)
                {
                    throw new StateCorruptedException(
                        $"SQLite file '{_options.Path}' has schema version {version}; this FlowState reads up to {SchemaVersion}. Use a newer FlowState.");
                }

                Execute(
                    """
                    CREATE TABLE IF NOT EXISTS flowstate_entries (
                        scope TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value BLOB NOT NULL,
                        version INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        ttl INTEGER NOT NULL,
                        sliding INTEGER NOT NULL,
                        PRIMARY KEY (scope, key)
                    ) WITHOUT ROWID;
                    INSERT OR IGNORE INTO flowstate_schema (name, version) VALUES ('entries', 1);
                    """,
                    transaction);
                transaction.Commit();
            }

            _upsert = _connection.CreateCommand();
            _upsert.CommandText =
                "INSERT INTO flowstate_entries (scope, key, value, version, expires_at, ttl, sliding) VALUES ($scope, $key, $value, $version, $expires, $ttl, $sliding) " +
                "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at, ttl = excluded.ttl, sliding = excluded.sliding;";
            foreach (var name in new[] { "$scope", "$key", "$value", "$version", "$expires", "$ttl", "$sliding" })
            {
                _upsert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            _delete = _connection.CreateCommand();
            _delete.CommandText = "DELETE FROM flowstate_entries WHERE scope = $scope AND key = $key;";
            _delete.Parameters.Add(new SqliteParameter { ParameterName = "$scope" });
            _delete.Parameters.Add(new SqliteParameter { ParameterName = "$key" });
            return ValueTask.CompletedTask;
        }
        catch (SqliteException ex)
        {
            throw Failure("open", ex);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BackendEntry> ScanAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connection = Connection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT scope, key, value, version, expires_at, ttl, sliding FROM flowstate_entries ORDER BY scope, key;";
        SqliteDataReader reader;
        try
        {
            reader = command.ExecuteReader();
        }
        catch (SqliteException ex)
        {
            throw Failure("read", ex);
        }

        await using (reader.ConfigureAwait(false))
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                BackendEntry entry;
                try
                {
                    if (!reader.Read())
                    {
                        break;
                    }

                    entry = new BackendEntry(
                        reader.GetString(0),
                        reader.GetString(1),
                        (byte[])reader.GetValue(2),
                        reader.GetInt64(3),
                        reader.GetInt64(4),
                        reader.GetInt64(5),
                        reader.GetInt64(6) != 0);
                }
                catch (Exception ex) when (ex is SqliteException or InvalidCastException or FormatException)
                {
                    throw ex is SqliteException sqlite ? Failure("read", sqlite) : new StateCorruptedException($"SQLite file '{_options.Path}' holds a malformed entry: {ex.Message}", ex);
                }

                yield return entry;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var connection = Connection();
        try
        {
            SetSynchronous(durability);
            using var transaction = connection.BeginTransaction();
            _upsert!.Transaction = transaction;
            _delete!.Transaction = transaction;
            foreach (var change in changes)
            {
                if (change.Entry is { } entry)
                {
                    _upsert.Parameters[0].Value = entry.ScopeKey;
                    _upsert.Parameters[1].Value = entry.Key;
                    _upsert.Parameters[2].Value = entry.Value;
                    _upsert.Parameters[3].Value = entry.Version;
                    _upsert.Parameters[4].Value = entry.ExpiresAtUtcTicks;
                    _upsert.Parameters[5].Value = entry.TimeToLiveTicks;
                    _upsert.Parameters[6].Value = entry.Sliding ? 1 : 0;
                    _upsert.ExecuteNonQuery();
                }
                else
                {
                    _delete.Parameters[0].Value = change.ScopeKey;
                    _delete.Parameters[1].Value = change.Key;
                    _delete.ExecuteNonQuery();
                }
            }

            transaction.Commit();
            return ValueTask.CompletedTask;
        }
        catch (SqliteException ex)
        {
            throw Failure("write", ex);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _upsert?.Dispose();
        _delete?.Dispose();
        _connection?.Dispose();
        _connection = null;
        return ValueTask.CompletedTask;
    }

    private void SetSynchronous(Durability durability)
    {
        if (_synchronous == durability)
        {
            return;
        }

        Execute(durability switch
        {
            Durability.Machine => "PRAGMA synchronous = FULL;",
            Durability.Process => "PRAGMA synchronous = NORMAL;",
            _ => "PRAGMA synchronous = OFF;",
        });
        _synchronous = durability;
    }

    private SqliteConnection Connection() =>
        _connection ?? throw new InvalidOperationException($"The SQLite backend '{_options.Path}' is not open; open the store with StateStore.OpenAsync.");

    private void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = Connection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql, SqliteTransaction? transaction = null)
    {
        using var command = Connection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command.ExecuteScalar();
    }

    private StateException Failure(string what, SqliteException ex) =>
        ex.SqliteErrorCode is 11 or 26 // SQLITE_CORRUPT, SQLITE_NOTADB
            ? new StateCorruptedException($"SQLite file '{_options.Path}' is damaged ({what}): {ex.Message}. Restore it from a backup.", ex)
            : new StateBackendException($"SQLite file '{_options.Path}' failed to {what}: {ex.Message}", ex);
}
