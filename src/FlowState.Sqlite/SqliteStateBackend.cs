using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowState.Sqlite;

/// <summary>
/// The embedded default backend: one SQLite file in WAL mode. <see cref="Durability.Process"/> commits with
/// <c>synchronous=NORMAL</c> (the WAL is written before the commit returns, so a killed process loses nothing);
/// <see cref="Durability.Machine"/> with <c>synchronous=FULL</c> (the WAL is fsynced). A schema table records the
/// schema version; a file of a newer schema is refused, one of an older schema is upgraded. Every row carries a
/// checksum of its fields, and opening runs SQLite's <c>quick_check</c>, so a damaged file is reported as
/// <see cref="StateCorruptedException"/> instead of being read as data.
/// </summary>
/// <remarks>
/// A commit of more than a few changes (group commit gathers many) appends them to a log table (<c>flowstate_log</c>,
/// rowid order) instead of updating the entries table in place: rows spread over many keys would dirty one B-tree page
/// each, and SQLite writes every dirty page to the WAL at each commit, while appended rows share the last page or two.
/// A small commit while the log is empty updates the entries table in place, which is cheaper for a lone row. The log is folded into
/// <c>flowstate_entries</c> in one transaction (latest change per key wins) at <see cref="SqliteStateBackendOptions.FoldThreshold"/>,
/// at open, at close and before a read; a crash between the two leaves the log, which the next open folds.
/// </remarks>
public sealed class SqliteStateBackend : IStateBackend, IStateBackupSource, IReadOnlyStateBackend, IHighWaterMarkedStateBackend
{
    /// <summary>The schema this version writes and reads.</summary>
    public const long SchemaVersion = 3;

    private const string Columns = "scope, key, value, version, expires_at, ttl, sliding, checksum";
    private const string LogColumns = "seq, " + Columns;
    private const long FoldThresholdBytes = 16L * 1024 * 1024;
    private const long TombstoneVersion = -1;

    // A commit this small, with nothing in the log, updates the entries table in place: one row dirties one page either
    // way, and appending also grows the log table, which measured slower for a lone writer.
    private const int DirectWriteMaxChanges = 4;

    private readonly SqliteStateBackendOptions _options;
    private SqliteFileLock? _lock;
    private SqliteConnection? _connection;
    private SqliteCommand? _upsert;
    private SqliteCommand? _delete;
    private SqliteCommand? _append;
    private SqliteCommand? _get;
    private Durability? _synchronous;
    private long _logRows;
    private long _logBytes;

    // The keys with rows in the log (null when the log holds rows of an earlier run): a point read of any other key can
    // read the entries table without folding the log first.
    private HashSet<(string Scope, string Key)>? _logKeys = [];

    // Reads through a bounded store (paged-out values) come from any thread while the group-commit flusher writes: one
    // connection, used by one thread at a time.
    private readonly Lock _gate = new();
    private readonly ILogger _logger;

    /// <summary>A backend on the file <see cref="SqliteStateBackendOptions.Path"/>.</summary>
    public SqliteStateBackend(SqliteStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path, "options.Path");
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<SqliteStateBackend>() ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>A backend on the file <paramref name="path"/>.</summary>
    public SqliteStateBackend(string path)
        : this(new SqliteStateBackendOptions { Path = path })
    {
    }

    /// <inheritdoc />
    public string Description => $"sqlite:{_options.Path}";

    /// <inheritdoc />
    public bool IsReadOnly => _options.ReadOnly;

    /// <inheritdoc />
    /// <remarks><c>{path}.flowstate-mark</c>, beside the database file and its log.</remarks>
    public string HighWaterMarkPath => _options.Path + ".flowstate-mark";

    /// <inheritdoc />
    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_options.ReadOnly)
        {
            OpenReadOnly();
            var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            SqliteLog.Opened(_logger, _options.Path, " read-only", elapsedMs, 0);
            return ValueTask.CompletedTask;
        }

        // Each store holds its state in memory, so two stores writing one file would overwrite each other's
        // versions: a lock on the file keeps a second store out (SQLite's own locks only serialize transactions).
        _lock = SqliteFileLock.Acquire(_options.Path);

        try
        {
            // Before SQLite replays the log: what it would drop silently is an error here.
            SqliteWalCheck.ThrowIfCommitsWouldBeDropped(_options.Path + "-wal");
            Connect(SqliteOpenMode.ReadWriteCreate);
            var mode = Scalar("PRAGMA journal_mode = WAL;") as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new StateBackendException($"SQLite file '{_options.Path}' could not be switched to WAL mode (it is in '{mode}' mode).");
            }

            if (_options.VerifyOnOpen)
            {
                VerifyStructure();
            }

            using (var transaction = _connection.BeginTransaction())
            {
                Execute("CREATE TABLE IF NOT EXISTS flowstate_schema (name TEXT PRIMARY KEY, version INTEGER NOT NULL);", transaction);
                switch (Scalar("SELECT version FROM flowstate_schema WHERE name = 'entries';", transaction))
                {
                    case null when Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'flowstate_entries';", transaction) is not 0L:
                        throw new StateCorruptedException($"SQLite file '{_options.Path}' is damaged: it has FlowState's entries table but no schema record. Restore it from a backup.") { Location = _options.Path };
                    case null:
                        Execute(
                            """
                            CREATE TABLE flowstate_entries (
                                scope TEXT NOT NULL,
                                key TEXT NOT NULL,
                                value BLOB NOT NULL,
                                version INTEGER NOT NULL,
                                expires_at INTEGER NOT NULL,
                                ttl INTEGER NOT NULL,
                                sliding INTEGER NOT NULL,
                                checksum INTEGER NOT NULL,
                                PRIMARY KEY (scope, key)
                            ) WITHOUT ROWID;
                            """,
                            transaction);
                        CreateLog(transaction);
                        Execute($"INSERT INTO flowstate_schema (name, version) VALUES ('entries', {SchemaVersion});", transaction);
                        break;
                    case 1L:
                        UpgradeFromVersion1(transaction);
                        CreateLog(transaction);
                        Execute($"UPDATE flowstate_schema SET version = {SchemaVersion} WHERE name = 'entries';", transaction);
                        SqliteLog.SchemaUpgraded(_logger, _options.Path, 1, SchemaVersion);
                        break;
                    case 2L:
                        SqliteLog.SchemaUpgraded(_logger, _options.Path, 2, SchemaVersion);
                        CreateLog(transaction);
                        Execute($"UPDATE flowstate_schema SET version = {SchemaVersion} WHERE name = 'entries';", transaction);
                        break;
                    case SchemaVersion:
                        break;
                    case var version:
                        throw new StateCorruptedException(
                            $"SQLite file '{_options.Path}' has schema version {version}; this FlowState reads up to {SchemaVersion}. Use a newer FlowState.") { Location = _options.Path };
                }

                VerifyColumns(transaction);
                transaction.Commit();
            }

            PrepareGet();

            _upsert = _connection.CreateCommand();
            _upsert.CommandText =
                "INSERT INTO flowstate_entries (scope, key, value, version, expires_at, ttl, sliding, checksum) VALUES ($scope, $key, $value, $version, $expires, $ttl, $sliding, $checksum) " +
                "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at, ttl = excluded.ttl, sliding = excluded.sliding, checksum = excluded.checksum;";
            foreach (var name in new[] { "$scope", "$key", "$value", "$version", "$expires", "$ttl", "$sliding", "$checksum" })
            {
                _upsert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            _delete = _connection.CreateCommand();
            _delete.CommandText = "DELETE FROM flowstate_entries WHERE scope = $scope AND key = $key;";
            _delete.Parameters.Add(new SqliteParameter { ParameterName = "$scope" });
            _delete.Parameters.Add(new SqliteParameter { ParameterName = "$key" });

            _append = _connection.CreateCommand();
            _append.CommandText = $"INSERT INTO flowstate_log ({Columns}) VALUES ($scope, $key, $value, $version, $expires, $ttl, $sliding, $checksum);";
            foreach (var name in new[] { "$scope", "$key", "$value", "$version", "$expires", "$ttl", "$sliding", "$checksum" })
            {
                _append.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            _logRows = (long)Scalar("SELECT count(*) FROM flowstate_log;")!;
            _logKeys = _logRows == 0 ? [] : null;
            var logged = _logRows;
            FoldIfAny();
            var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            SqliteLog.Opened(_logger, _options.Path, string.Empty, elapsedMs, logged);
            return ValueTask.CompletedTask;
        }
        catch (SqliteException ex)
        {
            Close();
            throw Failure("open", ex);
        }
        catch
        {
            Close();
            throw;
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

        if (_options.ReadOnly)
        {
            List<BackendEntry> snapshot;
            lock (_gate)
            {
                snapshot = ReadOnlySnapshot(scopeKeyPrefix);
            }

            foreach (var stored in snapshot)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return stored;
            }

            yield break;
        }

        var connection = Connection();
        FoldIfAny();
        using var command = connection.CreateCommand();
        if (scopeKeyPrefix.Length == 0)
        {
            command.CommandText = $"SELECT {Columns} FROM flowstate_entries ORDER BY scope, key;";
        }
        else
        {
            // Every storage key ends with '/' (0x2F), so the subtree is the range [prefix, prefix with its last '/' as '0').
            command.CommandText = $"SELECT {Columns} FROM flowstate_entries WHERE scope >= $from AND scope < $to ORDER BY scope, key;";
            command.Parameters.AddWithValue("$from", scopeKeyPrefix);
            command.Parameters.AddWithValue("$to", string.Concat(scopeKeyPrefix.AsSpan(0, scopeKeyPrefix.Length - 1), "0"));
        }

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

                    entry = ReadRow(reader);
                }
                catch (Exception ex) when (ex is SqliteException or InvalidCastException or FormatException)
                {
                    throw ex is SqliteException sqlite ? Failure("read", sqlite) : new StateCorruptedException($"SQLite file '{_options.Path}' holds a malformed entry: {ex.Message}", ex) { Location = _options.Path };
                }

                yield return entry;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (_options.ReadOnly)
            {
                return ValueTask.FromResult(ReadOnlyGet(scopeKey, key));
            }

            if (_logRows > 0 && (_logKeys is null || _logKeys.Contains((scopeKey, key))))
            {
                Fold();
            }

            _ = Connection();
            var command = _get!;
            command.Parameters[0].Value = scopeKey;
            command.Parameters[1].Value = key;
            try
            {
                using var reader = command.ExecuteReader();
                return ValueTask.FromResult(reader.Read() ? ReadRow(reader) : null);
            }
            catch (SqliteException ex)
            {
                throw Failure("read", ex);
            }
            catch (Exception ex) when (ex is InvalidCastException or FormatException)
            {
                throw new StateCorruptedException($"SQLite file '{_options.Path}' holds a malformed entry: {ex.Message}", ex) { Location = _options.Path };
            }
        }
    }

    /// <inheritdoc />
    public ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (_options.ReadOnly)
        {
            throw new StateRejectedException($"SQLite file '{_options.Path}' was opened read-only; open it without ReadOnly to write.");
        }

        lock (_gate)
        {
            Apply(changes, durability);
        }

        return ValueTask.CompletedTask;
    }

    private void Apply(IReadOnlyList<BackendChange> changes, Durability durability)
    {
        var connection = Connection();
        try
        {
            SetSynchronous(durability);
            if (_logRows == 0 && changes.Count <= DirectWriteMaxChanges)
            {
                WriteInPlace(connection, changes);
                return;
            }

            using (var transaction = connection.BeginTransaction())
            {
                _append!.Transaction = transaction;
                foreach (var change in changes)
                {
                    if (change.Entry is { } entry)
                    {
                        SetRow(_append, entry.ScopeKey, entry.Key, entry.Value, entry.Version, entry.ExpiresAtUtcTicks, entry.TimeToLiveTicks, entry.Sliding);
                        _logBytes += entry.Value.Length;
                        _logKeys?.Add((entry.ScopeKey, entry.Key));
                    }
                    else
                    {
                        SetRow(_append, change.ScopeKey, change.Key, null, TombstoneVersion, 0, 0, false);
                        _logKeys?.Add((change.ScopeKey, change.Key));
                    }

                    _append.ExecuteNonQuery();
                }

                transaction.Commit();
            }

            _logRows += changes.Count;
        }
        catch (SqliteException ex)
        {
            throw Failure("write", ex);
        }

        if (_logRows >= _options.FoldThreshold || _logBytes >= FoldThresholdBytes)
        {
            try
            {
                Fold();
            }
            catch (Exception ex) when (ex is StateException)
            {
                // The changes are committed in the log, which stays authoritative until a fold succeeds: the next
                // write, read, open or close folds again, and one that cannot reports the error then.
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <c>VACUUM INTO</c> on a connection of its own: a read transaction sees one committed state of the file while
    /// the store's connection goes on writing (WAL), and the copy is compact and self-contained. It is written under a
    /// temporary name, stamped with a completion record, fsynced and renamed, so a backup that was stopped midway never
    /// has <paramref name="destination"/>'s name (see <see cref="VerifyBackup"/>).
    /// </remarks>
    public ValueTask BackupAsync(string destination, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        _ = Connection();
        if (File.Exists(destination) || Directory.Exists(destination))
        {
            throw new IOException($"The backup destination '{destination}' exists; FlowState does not overwrite it.");
        }

        try
        {
            SqliteBackupFile.Write(_options.Path, _options.BusyTimeout, destination, _options.TimeProvider.GetUtcNow());
            return ValueTask.CompletedTask;
        }
        catch (SqliteException ex)
        {
            throw new StateBackendException($"SQLite file '{_options.Path}' could not be backed up to '{destination}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Checks, without writing to it, that <paramref name="path"/> is a complete backup taken by
    /// <see cref="BackupAsync"/>: its completion record is there, its row count matches, and SQLite finds it sound.
    /// </summary>
    /// <returns>What the backup records about itself.</returns>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="StateCorruptedException">It is not a complete backup (a store, a foreign database, a partial or damaged copy).</exception>
    public static StateBackupInfo VerifyBackup(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return SqliteBackupFile.Verify(path);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            Close();
        }

        return ValueTask.CompletedTask;
    }

    private void Close()
    {
        if (_connection is not null && _append is not null && _logRows > 0)
        {
            try
            {
                Fold();
            }
            catch (StateException ex)
            {
                // Left in the log; the next open folds it (or reports what is wrong with it).
                SqliteLog.FoldAtCloseFailed(_logger, _options.Path, ex.Message);
            }
        }

        _append?.Dispose();
        _append = null;
        _upsert?.Dispose();
        _get?.Dispose();
        _get = null;
        _delete?.Dispose();
        var wasOpen = _connection is not null;
        _connection?.Dispose();
        _connection = null;
        _lock?.Dispose();
        _lock = null;
        if (wasOpen)
        {
            SqliteLog.Closed(_logger, _options.Path);
        }
    }

    /// <summary>Applies <paramref name="changes"/> to the entries table directly (only while the log is empty, so that no older logged change can override them).</summary>
    private void WriteInPlace(SqliteConnection connection, IReadOnlyList<BackendChange> changes)
    {
        using var transaction = connection.BeginTransaction();
        _upsert!.Transaction = transaction;
        _delete!.Transaction = transaction;
        foreach (var change in changes)
        {
            if (change.Entry is { } entry)
            {
                SetRow(_upsert, entry.ScopeKey, entry.Key, entry.Value, entry.Version, entry.ExpiresAtUtcTicks, entry.TimeToLiveTicks, entry.Sliding);
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
    }

    private void FoldIfAny()
    {
        if (_logRows > 0)
        {
            Fold();
        }
    }

    /// <summary>Moves the log into the entries table in one transaction: the latest change of each key, checksums verified.</summary>
    /// <exception cref="StateCorruptedException">A log row is damaged.</exception>
    /// <exception cref="StateBackendException">SQLite failed.</exception>
    private void Fold()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var rows = _logRows;
        var connection = Connection();
        try
        {
            using var transaction = connection.BeginTransaction();
            var latest = ReadLoggedChanges(transaction, null);

            _upsert!.Transaction = transaction;
            _delete!.Transaction = transaction;
            foreach (var ((scope, key), row) in latest)
            {
                if (row.Value is null)
                {
                    _delete.Parameters[0].Value = scope;
                    _delete.Parameters[1].Value = key;
                    _delete.ExecuteNonQuery();
                }
                else
                {
                    SetRow(_upsert, scope, key, row.Value, row.Version, row.ExpiresAt, row.Ttl, row.Sliding, row.Checksum);
                    _upsert.ExecuteNonQuery();
                }
            }

            Execute("DELETE FROM flowstate_log;", transaction);
            transaction.Commit();
            _logRows = 0;
            _logBytes = 0;
            _logKeys = [];
            var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            SqliteLog.Folded(_logger, _options.Path, rows, elapsedMs);
        }
        catch (SqliteException ex)
        {
            throw Failure("fold its log", ex);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException)
        {
            throw new StateCorruptedException($"SQLite file '{_options.Path}' holds a malformed logged change: {ex.Message}", ex) { Location = _options.Path };
        }
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_connection))]
    private void Connect(SqliteOpenMode mode)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = _options.Path,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(_options.BusyTimeout.TotalSeconds),
        };
        _connection = new SqliteConnection(builder.ToString());
        _connection.Open();
        Execute($"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds};");
    }

    private void PrepareGet()
    {
        _get = Connection().CreateCommand();
        _get.CommandText = $"SELECT {Columns} FROM flowstate_entries WHERE scope = $scope AND key = $key;";
        _get.Parameters.Add(new SqliteParameter { ParameterName = "$scope" });
        _get.Parameters.Add(new SqliteParameter { ParameterName = "$key" });
    }

    /// <summary>
    /// Opens the file for reading only: no lock (a writer may hold it), no schema created or upgraded, the log read
    /// beside the entries table instead of folded into it.
    /// </summary>
    private void OpenReadOnly()
    {
        if (!File.Exists(_options.Path))
        {
            throw new StateBackendException($"SQLite file '{_options.Path}' does not exist; a read-only store cannot create it. Check the path, or open it without ReadOnly.");
        }

        SqliteWalCheck.ThrowIfCommitsWouldBeDropped(_options.Path + "-wal");
        try
        {
            Connect(SqliteOpenMode.ReadOnly);
            if (_options.VerifyOnOpen)
            {
                VerifyStructure();
            }

            using (var transaction = _connection.BeginTransaction(deferred: true))
            {
                if (Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'flowstate_schema';", transaction) is 0L)
                {
                    throw new StateBackendException($"SQLite file '{_options.Path}' is not a FlowState store (it has no FlowState schema); a read-only store cannot create one.");
                }

                switch (Scalar("SELECT version FROM flowstate_schema WHERE name = 'entries';", transaction))
                {
                    case SchemaVersion:
                        break;
                    case long version when version > SchemaVersion:
                        throw new StateCorruptedException(
                            $"SQLite file '{_options.Path}' has schema version {version}; this FlowState reads up to {SchemaVersion}. Use a newer FlowState.") { Location = _options.Path };
                    case var version:
                        throw new StateBackendException(
                            $"SQLite file '{_options.Path}' has schema version {version ?? "(none)"}, older than this FlowState's {SchemaVersion}; open it once without ReadOnly to upgrade it.");
                }

                VerifyColumns(transaction);
                transaction.Commit();
            }

            PrepareGet();
        }
        catch (SqliteException ex)
        {
            Close();
            throw Failure("open read-only", ex);
        }
        catch
        {
            Close();
            throw;
        }
    }

    /// <summary>The entries of a read-only file under <paramref name="scopeKeyPrefix"/>, the log's later changes applied, as one snapshot.</summary>
    private List<BackendEntry> ReadOnlySnapshot(string scopeKeyPrefix)
    {
        try
        {
            // One read transaction: the entries table and the log as of one moment, whatever a writer does meanwhile.
            using var transaction = Connection().BeginTransaction(deferred: true);
            var entries = new Dictionary<(string Scope, string Key), BackendEntry>();
            using (var command = Connection().CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = $"SELECT {Columns} FROM flowstate_entries;";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var entry = ReadRow(reader);
                    if (entry.ScopeKey.StartsWith(scopeKeyPrefix, StringComparison.Ordinal))
                    {
                        entries[(entry.ScopeKey, entry.Key)] = entry;
                    }
                }
            }

            foreach (var ((scope, key), change) in ReadLoggedChanges(transaction, null))
            {
                if (!scope.StartsWith(scopeKeyPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (change.Value is null)
                {
                    entries.Remove((scope, key));
                }
                else
                {
                    entries[(scope, key)] = new BackendEntry(scope, key, change.Value, change.Version, change.ExpiresAt, change.Ttl, change.Sliding);
                }
            }

            transaction.Commit();
            return [.. entries.Values.OrderBy(e => e.ScopeKey, StringComparer.Ordinal).ThenBy(e => e.Key, StringComparer.Ordinal)];
        }
        catch (SqliteException ex)
        {
            throw Failure("read", ex);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException)
        {
            throw new StateCorruptedException($"SQLite file '{_options.Path}' holds a malformed entry: {ex.Message}", ex) { Location = _options.Path };
        }
    }

    private BackendEntry? ReadOnlyGet(string scopeKey, string key)
    {
        try
        {
            using var transaction = Connection().BeginTransaction(deferred: true);
            if (ReadLoggedChanges(transaction, (scopeKey, key)).Values.FirstOrDefault() is { } logged)
            {
                return logged.Value is null ? null : new BackendEntry(scopeKey, key, logged.Value, logged.Version, logged.ExpiresAt, logged.Ttl, logged.Sliding);
            }

            _get!.Transaction = transaction;
            _get.Parameters[0].Value = scopeKey;
            _get.Parameters[1].Value = key;
            using var reader = _get.ExecuteReader();
            return reader.Read() ? ReadRow(reader) : null;
        }
        catch (SqliteException ex)
        {
            throw Failure("read", ex);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException)
        {
            throw new StateCorruptedException($"SQLite file '{_options.Path}' holds a malformed entry: {ex.Message}", ex) { Location = _options.Path };
        }
    }

    /// <summary>The latest logged change of each key (of one key: <paramref name="only"/>), checksums verified.</summary>
    private Dictionary<(string Scope, string Key), LoggedChange> ReadLoggedChanges(SqliteTransaction transaction, (string Scope, string Key)? only)
    {
        var latest = new Dictionary<(string Scope, string Key), LoggedChange>();
        using var select = Connection().CreateCommand();
        select.Transaction = transaction;
        if (only is { } one)
        {
            select.CommandText = $"SELECT {LogColumns} FROM flowstate_log WHERE scope = $scope AND key = $key ORDER BY seq;";
            select.Parameters.AddWithValue("$scope", one.Scope);
            select.Parameters.AddWithValue("$key", one.Key);
        }
        else
        {
            select.CommandText = $"SELECT {LogColumns} FROM flowstate_log ORDER BY seq;";
        }

        using var reader = select.ExecuteReader();
        while (reader.Read())
        {
            var (scope, key) = (reader.GetString(1), reader.GetString(2));
            var value = reader.IsDBNull(3) ? null : (byte[])reader.GetValue(3);
            var row = new LoggedChange(value, reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7) != 0, reader.GetInt64(8));
            var expected = SqliteEntryChecksum.Compute(scope, key, value ?? [], row.Version, row.ExpiresAt, row.Ttl, row.Sliding);
            if (expected != row.Checksum || (value is null) != (row.Version == TombstoneVersion))
            {
                throw new StateCorruptedException(
                    $"SQLite file '{_options.Path}' is damaged: the logged change of '{key}' in scope '{scope}' does not match its checksum. Restore the file from a backup.") { Location = _options.Path };
            }

            latest[(scope, key)] = row;
        }

        return latest;
    }

    private static void SetRow(SqliteCommand command, string scope, string key, byte[]? value, long version, long expiresAt, long ttl, bool sliding, long? checksum = null)
    {
        command.Parameters[0].Value = scope;
        command.Parameters[1].Value = key;
        command.Parameters[2].Value = (object?)value ?? DBNull.Value;
        command.Parameters[3].Value = version;
        command.Parameters[4].Value = expiresAt;
        command.Parameters[5].Value = ttl;
        command.Parameters[6].Value = sliding ? 1 : 0;
        command.Parameters[7].Value = checksum ?? SqliteEntryChecksum.Compute(scope, key, value ?? [], version, expiresAt, ttl, sliding);
    }

    private void CreateLog(SqliteTransaction transaction) =>
        Execute(
            """
            CREATE TABLE flowstate_log (
                seq INTEGER PRIMARY KEY,
                scope TEXT NOT NULL,
                key TEXT NOT NULL,
                value BLOB,
                version INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                ttl INTEGER NOT NULL,
                sliding INTEGER NOT NULL,
                checksum INTEGER NOT NULL
            );
            """,
            transaction);

    private BackendEntry ReadRow(SqliteDataReader reader)
    {
        var entry = new BackendEntry(
            reader.GetString(0),
            reader.GetString(1),
            (byte[])reader.GetValue(2),
            reader.GetInt64(3),
            reader.GetInt64(4),
            reader.GetInt64(5),
            reader.GetInt64(6) != 0);
        if (SqliteEntryChecksum.Compute(entry.ScopeKey, entry.Key, entry.Value, entry.Version, entry.ExpiresAtUtcTicks, entry.TimeToLiveTicks, entry.Sliding) != reader.GetInt64(7))
        {
            throw new StateCorruptedException(
                $"SQLite file '{_options.Path}' is damaged: the entry '{entry.Key}' of scope '{entry.ScopeKey}' does not match its checksum. Restore the file from a backup.") { Location = _options.Path };
        }

        return entry;
    }

    private void VerifyStructure()
    {
        using var command = Connection().CreateCommand();
        command.CommandText = "PRAGMA quick_check(5);";
        using var reader = command.ExecuteReader();
        var problems = new List<string>();
        while (reader.Read())
        {
            problems.Add(reader.GetString(0));
        }

        if (problems is not ["ok"])
        {
            throw new StateCorruptedException($"SQLite file '{_options.Path}' is damaged: {string.Join("; ", problems)}. Restore it from a backup.") { Location = _options.Path };
        }
    }

    /// <summary>
    /// The table definitions live in the file too (page 1): a damaged byte there can rename a column, which SQLite
    /// then reports as an ordinary SQL error. Checked here so that it surfaces as the corruption it is.
    /// </summary>
    private void VerifyColumns(SqliteTransaction transaction)
    {
        foreach (var (table, expected) in new[] { ("entries", Columns), ("log", LogColumns) })
        {
            using var command = Connection().CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"SELECT name FROM pragma_table_info('flowstate_{table}');";
            var columns = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    columns.Add(reader.GetString(0));
                }
            }

            if (!columns.SequenceEqual(expected.Split(", ")))
            {
                throw new StateCorruptedException(
                    $"SQLite file '{_options.Path}' is damaged: its {table} table has the columns ({string.Join(", ", columns)}), not ({expected}). Restore it from a backup.") { Location = _options.Path };
            }
        }
    }

    private void UpgradeFromVersion1(SqliteTransaction transaction)
    {
        // Version 1 had no checksum column: add it and checksum what is there (it is trusted as written).
        Execute("ALTER TABLE flowstate_entries ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;", transaction);
        var rows = new List<(string Scope, string Key, long Checksum)>();
        using (var select = Connection().CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT scope, key, value, version, expires_at, ttl, sliding FROM flowstate_entries;";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetString(0), reader.GetString(1), SqliteEntryChecksum.Compute(
                    reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6) != 0)));
            }
        }

        using var update = Connection().CreateCommand();
        update.Transaction = transaction;
        update.CommandText = "UPDATE flowstate_entries SET checksum = $checksum WHERE scope = $scope AND key = $key;";
        var checksum = update.Parameters.Add(new SqliteParameter { ParameterName = "$checksum" });
        var scope = update.Parameters.Add(new SqliteParameter { ParameterName = "$scope" });
        var key = update.Parameters.Add(new SqliteParameter { ParameterName = "$key" });
        foreach (var row in rows)
        {
            (checksum.Value, scope.Value, key.Value) = (row.Checksum, row.Scope, row.Key);
            update.ExecuteNonQuery();
        }

        Execute("UPDATE flowstate_schema SET version = 2 WHERE name = 'entries';", transaction);
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
            ? new StateCorruptedException($"SQLite file '{_options.Path}' is damaged ({what}): {ex.Message}. Restore it from a backup.", ex) { Location = _options.Path }
            : new StateBackendException($"SQLite file '{_options.Path}' failed to {what}: {ex.Message}", ex);

    private readonly record struct LoggedChange(byte[]? Value, long Version, long ExpiresAt, long Ttl, bool Sliding, long Checksum);
}
