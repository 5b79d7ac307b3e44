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
/// A commit is not a SQLite transaction: it is one record appended to FlowState's own write-ahead log beside the file
/// (<c>{path}.flowstate-log-0</c> and <c>-1</c>), one write and, at <see cref="Durability.Machine"/>, one
/// <c>fdatasync</c>; a SQLite commit of the same changes writes each dirty B-tree page to SQLite's WAL and syncs it. At
/// <see cref="SqliteStateBackendOptions.FoldThreshold"/> the log file is sealed, the other one takes the commits, and a
/// background task folds the sealed file's changes (the latest per key) into <c>flowstate_entries</c> on a connection
/// of its own, in one transaction that also records the last folded record (<c>synchronous=FULL</c>); the file is then
/// written over in its next turn. Until then reads of those keys are answered from memory. Opening takes what the log
/// holds past the last folded record back into memory (writing nothing), closing folds everything and removes the log
/// files. The log table <c>flowstate_log</c> of schema 3 is folded at open and no longer written.
/// </remarks>
public sealed class SqliteStateBackend : IStateBackend, IStateBackupSource, IReadOnlyStateBackend, IHighWaterMarkedStateBackend
{
    /// <summary>The schema this version writes and reads.</summary>
    public const long SchemaVersion = 4;

    private const string Columns = "scope, key, value, version, expires_at, ttl, sliding, checksum";
    private const string LogColumns = "seq, " + Columns;
    private const long FoldThresholdBytes = 16L * 1024 * 1024;
    private const long TombstoneVersion = -1;
    private const string FoldedRecord = "log_folded";
    private const string LogIdRecord = "log_id";

    // A fold that falls this far behind the commits (the active log file holding this many times the threshold) makes
    // the next commit wait for it, so that the log and the memory holding its changes stay bounded.
    private const int FoldLagLimit = 4;

    private readonly SqliteStateBackendOptions _options;
    private SqliteFileLock? _lock;
    private SqliteConnection? _connection;
    private SqliteEntryRows? _get;

    // Folds write on a connection of their own (WAL: one writer beside readers), so reads and scans on the main
    // connection do not wait for them.
    private SqliteConnection? _foldConnection;
    private SqliteFoldStatements? _foldStatements;
    private SqliteCommand? _recordFolded;
    private SqliteWriteAheadLog? _log;
    private long _logId;

    // The latest logged change of each key not yet folded: of the active log file, and of the sealed one being folded.
    // Reads look here before the database.
    private Dictionary<(string Scope, string Key), BackendChange> _active = [];
    private Dictionary<(string Scope, string Key), BackendChange>? _sealed;
    private int _sealedIndex;
    private long _sealedThrough;
    private long _activeRows;
    private long _activeBytes;
    private Task _fold = Task.CompletedTask;

    // The opening's structure check, while it runs beside the opening's scan (null: none, or it ran at once).
    private SqliteStructureCheck? _check;

    // Reads through a bounded store (paged-out values) come from any thread while the group-commit flusher writes: the
    // main connection is used by one thread at a time.
    private readonly Lock _gate = new();

    // Commits, and sealing the log for a fold.
    private readonly Lock _appendGate = new();

    // The two maps above.
    private readonly Lock _mapsGate = new();
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
                // Beside the opening's scan where SQLite allows; what writes to the file waits for it.
                _check = SqliteStructureCheck.Start(_options.Path, _options.BusyTimeout);
                if (_check is null)
                {
                    SqliteStructureCheck.Run(Connection(), _options.Path);
                }
            }

            using (var transaction = _connection.BeginTransaction())
            {
                Execute("CREATE TABLE IF NOT EXISTS flowstate_schema (name TEXT PRIMARY KEY, version INTEGER NOT NULL);", transaction);
                switch (Scalar("SELECT version FROM flowstate_schema WHERE name = 'entries';", transaction))
                {
                    case null when Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'flowstate_entries';", transaction) is not 0L:
                        throw new StateCorruptedException($"SQLite file '{_options.Path}' is damaged: it has FlowState's entries table but no schema record. Restore it from a backup.") { Location = _options.Path };
                    case null:
                        ThrowIfDamaged();

                        // Log files under this name belong to a database that is gone (its file deleted or moved).
                        SqliteWriteAheadLog.Delete(_options.Path);
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
                        ThrowIfDamaged();
                        UpgradeFromVersion1(transaction);
                        CreateLog(transaction);
                        Execute($"UPDATE flowstate_schema SET version = {SchemaVersion} WHERE name = 'entries';", transaction);
                        SqliteLog.SchemaUpgraded(_logger, _options.Path, 1, SchemaVersion);
                        break;
                    case 2L:
                        ThrowIfDamaged();
                        SqliteLog.SchemaUpgraded(_logger, _options.Path, 2, SchemaVersion);
                        CreateLog(transaction);
                        Execute($"UPDATE flowstate_schema SET version = {SchemaVersion} WHERE name = 'entries';", transaction);
                        break;
                    case 3L:
                        // Version 4 keeps commits in the log files beside the database: an older FlowState, which does
                        // not read them, must refuse the file. What the version-3 log table holds is folded below.
                        ThrowIfDamaged();
                        SqliteLog.SchemaUpgraded(_logger, _options.Path, 3, SchemaVersion);
                        Execute($"UPDATE flowstate_schema SET version = {SchemaVersion} WHERE name = 'entries';", transaction);
                        break;
                    case SchemaVersion:
                        break;
                    case var version:
                        throw new StateCorruptedException(
                            $"SQLite file '{_options.Path}' has schema version {version}; this FlowState reads up to {SchemaVersion}. Use a newer FlowState.") { Location = _options.Path };
                }

                VerifyColumns(transaction);
                Execute($"INSERT OR IGNORE INTO flowstate_schema (name, version) VALUES ('{LogIdRecord}', {BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))});", transaction);
                _logId = ReadLogId(_connection, transaction) ?? throw new InvalidOperationException("The log id was just written.");
                transaction.Commit();
            }

            PrepareGet();
            ConnectFolds();
            var logged = FoldLogTable();

            // The log files' records after the last folded one are not folded here (that needs as much free disk as
            // they hold, which a store reopened after a full disk may not have): they are taken back into memory as
            // they were, the active file's and a sealed file's, and the commits go on after them.
            var replay = SqliteWriteAheadLog.Read(_options.Path, _logId).After(ReadFolded(_foldConnection), strict: true);
            if (replay.Dropped > 0)
            {
                SqliteLog.LogTailDropped(_logger, _options.Path, replay.Through + 1, replay.Dropped);
            }

            // A damaged database's log files are left as they are, for whoever restores it.
            _log = SqliteWriteAheadLog.Open(_options.Path, _logId, replay, beforeCut: ThrowIfDamaged);
            foreach (var record in replay.Records)
            {
                if (record.File != _log.ActiveIndex)
                {
                    TakeChanges(_sealed ??= [], record.Changes);
                    (_sealedIndex, _sealedThrough) = (record.File, record.Sequence);
                }
                else
                {
                    _activeBytes += TakeChanges(_active, record.Changes);
                    _activeRows += record.Changes.Count;
                }

                logged += record.Changes.Count;
            }

            if (_sealed is not null)
            {
                _fold = Task.Run(FoldSealedInBackground, CancellationToken.None);
            }

            var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            SqliteLog.Opened(_logger, _options.Path, string.Empty, elapsedMs, logged);
            return ValueTask.CompletedTask;
        }
        catch (SqliteException ex)
        {
            CloseAfterFailedOpen();
            throw Failure("open", ex);
        }
        catch (IOException ex)
        {
            CloseAfterFailedOpen();
            throw new StateBackendException($"SQLite file '{_options.Path}' could not open its write-ahead log files ({SqliteWriteAheadLog.FilePath(_options.Path, 0)}, -1): {ex.Message}", ex);
        }
        catch
        {
            CloseAfterFailedOpen();
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

        // The changes not folded yet, taken before the database is read: a fold that lands in between is then in
        // both, never in neither.
        var logged = LoggedChangesUnder(scopeKeyPrefix);
        var next = 0;
        // Every storage key ends with '/' (0x2F), so a subtree is the range [prefix, prefix with its last '/' as '0').
        using (var rows = scopeKeyPrefix.Length == 0
            ? QueryAllEntries(connection)
            : QueryEntries(
                connection,
                $"SELECT {Columns} FROM flowstate_entries WHERE scope >= ?1 AND scope < ?2 ORDER BY scope, key;",
                scopeKeyPrefix,
                string.Concat(scopeKeyPrefix.AsSpan(0, scopeKeyPrefix.Length - 1), "0")))
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                BackendEntry? entry;
                try
                {
                    if (!rows.TryRead(out entry))
                    {
                        break;
                    }
                }
                catch (SqliteException ex)
                {
                    ThrowIfDamaged();
                    throw Failure("read", ex);
                }
                catch (StateCorruptedException)
                {
                    ThrowIfDamaged();
                    throw;
                }

                // Merged in the database's order; a logged change of the same key replaces the row.
                var replaced = false;
                for (int order; next < logged.Count && (order = CompareStorageOrder(logged[next], entry.ScopeKey, entry.Key)) <= 0; next++)
                {
                    replaced = order == 0;
                    if (logged[next].Entry is { } newer)
                    {
                        yield return newer;
                    }
                }

                if (!replaced)
                {
                    yield return entry;
                }
            }
        }

        // An opening's scan ends once the structure check is over, so that opening a damaged file fails.
        ThrowIfDamaged();

        for (; next < logged.Count; next++)
        {
            if (logged[next].Entry is { } newer)
            {
                yield return newer;
            }
        }
    }

    /// <summary>Every row of the entries table in storage order (an opening reads them all): over a connection of the rows' own where SQLite allows.</summary>
    private SqliteEntryRows QueryAllEntries(SqliteConnection connection)
    {
        var sql = $"SELECT {Columns} FROM flowstate_entries ORDER BY scope, key;";
        return SqliteEntryRows.OverOwnConnection(_options.Path, _options.BusyTimeout, sql, SqliteDirectCalls.Shared) ?? QueryEntries(connection, sql);
    }

    /// <summary>A query over the entries table, started, its rows read through <see cref="SqliteEntryRows"/>.</summary>
    private SqliteEntryRows QueryEntries(SqliteConnection connection, string sql, params string[] parameters)
    {
        SqliteEntryRows? rows = null;
        try
        {
            rows = new SqliteEntryRows(connection, sql, _options.Path, SqliteDirectCalls.Shared);
            rows.Start(parameters);
            return rows;
        }
        catch (SqliteException ex)
        {
            rows?.Dispose();
            throw Failure("read", ex);
        }
    }

    /// <summary>The latest logged change of each key under <paramref name="scopeKeyPrefix"/> not folded yet, in the database's order.</summary>
    private List<BackendChange> LoggedChangesUnder(string scopeKeyPrefix)
    {
        var changes = new Dictionary<(string Scope, string Key), BackendChange>();
        lock (_mapsGate)
        {
            foreach (var map in new[] { _sealed, _active })
            {
                foreach (var (key, change) in map ?? [])
                {
                    if (key.Scope.StartsWith(scopeKeyPrefix, StringComparison.Ordinal))
                    {
                        changes[key] = change;
                    }
                }
            }
        }

        var ordered = changes.Values.ToList();
        ordered.Sort((a, b) => CompareStorageOrder(a, b.ScopeKey, b.Key));
        return ordered;
    }

    /// <summary>
    /// SQLite's order of the entries (<c>ORDER BY scope, key</c>, text compared as UTF-8 bytes, which is code point
    /// order): ordinal comparison of UTF-16 agrees except that surrogates (code points past U+FFFF) sort after U+E000–U+FFFF.
    /// </summary>
    private static int CompareStorageOrder(BackendChange change, string scope, string key)
    {
        var byScope = CompareCodePoints(change.ScopeKey, scope);
        return byScope != 0 ? byScope : CompareCodePoints(change.Key, key);
    }

    private static int CompareCodePoints(string a, string b)
    {
        var length = Math.Min(a.Length, b.Length);
        var at = a.AsSpan(0, length).CommonPrefixLength(b.AsSpan(0, length));
        if (at == length)
        {
            return a.Length.CompareTo(b.Length);
        }

        static int Rank(char c) => c >= 0xD800 ? (c >= 0xE000 ? c - 0x800 : c + 0x2000) : c;
        return Rank(a[at]).CompareTo(Rank(b[at]));
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

            ThrowIfDamaged();

            lock (_mapsGate)
            {
                if (_active.TryGetValue((scopeKey, key), out var logged) || (_sealed?.TryGetValue((scopeKey, key), out logged) ?? false))
                {
                    return ValueTask.FromResult(logged.Entry);
                }
            }

            _ = Connection();
            try
            {
                return ValueTask.FromResult(ReadOne(scopeKey, key));
            }
            catch (SqliteException ex)
            {
                throw Failure("read", ex);
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

        // Not under the main connection's lock: a commit writes the log files only, so point reads (paged-out values)
        // go on while it waits for its fdatasync.
        Apply(changes, durability);
        return ValueTask.CompletedTask;
    }

    private void Apply(IReadOnlyList<BackendChange> changes, Durability durability)
    {
        lock (_appendGate)
        {
            var log = _log ?? throw new InvalidOperationException($"The SQLite backend '{_options.Path}' is not open; open the store with StateStore.OpenAsync.");
            ThrowIfDamaged();
            if (!_fold.IsCompleted && (_activeRows >= FoldLagLimit * (long)_options.FoldThreshold || _activeBytes >= FoldLagLimit * FoldThresholdBytes))
            {
                _fold.Wait();
            }

            long sequence;
            try
            {
                sequence = log.Append(changes, durability == Durability.Machine);
            }
            catch (IOException ex)
            {
                throw new StateBackendException($"SQLite file '{_options.Path}' failed to write its write-ahead log '{SqliteWriteAheadLog.FilePath(_options.Path, 0)}' (or -1): {ex.Message}", ex);
            }

            lock (_mapsGate)
            {
                _activeBytes += TakeChanges(_active, changes);
            }

            _activeRows += changes.Count;
            if ((_activeRows >= _options.FoldThreshold || _activeBytes >= FoldThresholdBytes) && _fold.IsCompleted)
            {
                if (_sealed is null)
                {
                    Seal(log, sequence);
                }

                // A fold that failed before is tried again with the same changes; the active file goes on growing.
                _fold = Task.Run(FoldSealedInBackground, CancellationToken.None);
            }
        }
    }

    /// <summary>Records <paramref name="changes"/> as the latest logged change of their keys in <paramref name="map"/>.</summary>
    /// <returns>The bytes of the values they write.</returns>
    private static long TakeChanges(Dictionary<(string Scope, string Key), BackendChange> map, IReadOnlyList<BackendChange> changes)
    {
        long bytes = 0;
        foreach (var change in changes)
        {
            map[(change.ScopeKey, change.Key)] = change;
            bytes += change.Entry?.Value.Length ?? 0;
        }

        return bytes;
    }

    /// <summary>Hands the active log file and its changes to a fold; the other file takes the next commits.</summary>
    private void Seal(SqliteWriteAheadLog log, long through)
    {
        _sealedIndex = log.Seal();
        _sealedThrough = through;
        lock (_mapsGate)
        {
            _sealed = _active;
            _active = [];
        }

        _activeRows = 0;
        _activeBytes = 0;
    }

    private void FoldSealedInBackground()
    {
        try
        {
            FoldSealed();
        }
        catch (StateException ex)
        {
            // The changes stay in the sealed log file and in memory, where reads find them; the next fold point, a
            // backup or closing tries again, and the next open takes the file back if none succeeds.
            SqliteLog.FoldFailed(_logger, _options.Path, ex.Message);
        }
    }

    private void FoldSealed()
    {
        ThrowIfDamaged();
        FoldIntoEntries(_sealed!, _sealedThrough);
        _log!.Release(_sealedIndex);
        lock (_mapsGate)
        {
            _sealed = null;
        }
    }

    /// <summary>The fold running in the background, or the last one (completed).</summary>
    internal Task FoldInBackground => _fold;

    /// <summary>Folds every logged change into the database now (the entries table then holds every commit made before).</summary>
    /// <exception cref="StateException">A fold failed.</exception>
    internal void FoldAll()
    {
        lock (_appendGate)
        {
            if (_log is not { } log)
            {
                return;
            }

            _fold.Wait();
            if (_sealed is not null)
            {
                FoldSealed();
            }

            if (_activeRows > 0)
            {
                Seal(log, log.LastSequence);
                FoldSealed();
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
            ThrowIfDamaged();

            // The copy is of the database file: what the log holds goes into it first.
            FoldAll();
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

    /// <summary>
    /// Closes after an opening failed; where the structure check finds the file damaged, that is the failure reported
    /// (not the error the damage caused first).
    /// </summary>
    private void CloseAfterFailedOpen()
    {
        try
        {
            ThrowIfDamaged();
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Waits for the opening's structure check: nothing writes to a damaged file, or reads it past the opening.</summary>
    private void ThrowIfDamaged()
    {
        try
        {
            _check?.ThrowIfDamaged();
        }
        catch (SqliteException ex)
        {
            throw Failure("open", ex);
        }
    }

    private void Close()
    {
        // Its connection is its own: the check ends before the store's lock on the file is released.
        _check?.WaitUntilOver();
        var folded = false;
        if (_log is not null)
        {
            try
            {
                FoldAll();
                folded = true;
            }
            catch (StateException ex)
            {
                // Left in the log files; the next open replays them (or reports what is wrong with them).
                SqliteLog.FoldAtCloseFailed(_logger, _options.Path, ex.Message);
            }

            _log.Close(delete: folded);
            _log = null;
        }

        _foldStatements?.Dispose();
        _foldStatements = null;
        _recordFolded?.Dispose();
        _recordFolded = null;
        _foldConnection?.Dispose();
        _foldConnection = null;
        _get?.Dispose();
        _get = null;
        var wasOpen = _connection is not null;
        _connection?.Dispose();
        _connection = null;
        _lock?.Dispose();
        _lock = null;
        _check = null;
        if (wasOpen)
        {
            SqliteLog.Closed(_logger, _options.Path);
        }
    }

    /// <summary>
    /// Writes the latest change of each key into the entries table and records <paramref name="through"/> as the last
    /// folded log record, in one transaction synced to disk (the log file is written over only after it).
    /// </summary>
    /// <exception cref="StateBackendException">SQLite failed.</exception>
    private void FoldIntoEntries(Dictionary<(string Scope, string Key), BackendChange> latest, long through)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var transaction = _foldConnection!.BeginTransaction();
            var ordered = latest.Values.ToList();
            ordered.Sort((a, b) => CompareStorageOrder(a, b.ScopeKey, b.Key));
            WriteLatest(ordered.Select(change => (change.ScopeKey, change.Key, change.Entry is { } entry ? new LoggedChange(entry.Value, entry.Version, entry.ExpiresAtUtcTicks, entry.TimeToLiveTicks, entry.Sliding, null) : default)));
            _recordFolded!.Transaction = transaction;
            _recordFolded.Parameters[0].Value = through;
            _recordFolded.ExecuteNonQuery();
            transaction.Commit();
            var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            SqliteLog.Folded(_logger, _options.Path, latest.Count, elapsedMs);
        }
        catch (SqliteException ex)
        {
            throw Failure("fold its write-ahead log", ex);
        }
    }

    private void WriteLatest(IEnumerable<(string Scope, string Key, LoggedChange Change)> latest)
    {
        foreach (var (scope, key, row) in latest)
        {
            if (row.Value is null)
            {
                _foldStatements!.Delete(scope, key);
            }
            else
            {
                _foldStatements!.Upsert(scope, key, row.Value, row.Version, row.ExpiresAt, row.Ttl, row.Sliding, row.Checksum ?? SqliteEntryChecksum.Compute(scope, key, row.Value, row.Version, row.ExpiresAt, row.Ttl, row.Sliding));
            }
        }
    }

    /// <summary>Folds what schema 3's log table holds (it is not written any more) into the entries table.</summary>
    /// <returns>The rows it held.</returns>
    /// <exception cref="StateCorruptedException">A logged row is damaged.</exception>
    private long FoldLogTable()
    {
        try
        {
            using var transaction = _foldConnection!.BeginTransaction();
            var latest = ReadLoggedChanges(transaction, null, out var rows);
            if (rows == 0)
            {
                return 0;
            }

            WriteLatest(latest.Select(pair => (pair.Key.Scope, pair.Key.Key, pair.Value)));
            using (var clear = _foldConnection.CreateCommand())
            {
                clear.Transaction = transaction;
                clear.CommandText = "DELETE FROM flowstate_log;";
                clear.ExecuteNonQuery();
            }

            transaction.Commit();
            return rows;
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

    /// <summary>The connection folds write on, synced to disk at each commit (a fold is durable before its log file is written over).</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_foldConnection))]
    private void ConnectFolds()
    {
        _foldConnection = new SqliteConnection(Connection().ConnectionString);
        _foldConnection.Open();
        foreach (var pragma in new[] { $"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds};", "PRAGMA synchronous = FULL;" })
        {
            using var command = _foldConnection.CreateCommand();
            command.CommandText = pragma;
            command.ExecuteNonQuery();
        }

        _foldStatements = new SqliteFoldStatements(_foldConnection);

        _recordFolded = _foldConnection.CreateCommand();
        _recordFolded.CommandText = $"INSERT INTO flowstate_schema (name, version) VALUES ('{FoldedRecord}', $through) ON CONFLICT (name) DO UPDATE SET version = excluded.version;";
        _recordFolded.Parameters.Add(new SqliteParameter { ParameterName = "$through" });
    }

    /// <summary>The random number the database's log records are checksummed with (null: none yet).</summary>
    private static long? ReadLogId(SqliteConnection connection, SqliteTransaction? transaction) => ReadSchemaRecord(connection, transaction, LogIdRecord);

    /// <summary>The sequence number of the last log record folded into the database (0: none yet).</summary>
    private static long ReadFolded(SqliteConnection connection, SqliteTransaction? transaction = null) => ReadSchemaRecord(connection, transaction, FoldedRecord) ?? 0;

    private static long? ReadSchemaRecord(SqliteConnection connection, SqliteTransaction? transaction, string name)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT version FROM flowstate_schema WHERE name = $name;";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() as long?;
    }

    /// <summary>The log id of the database at <paramref name="path"/>, read without a lock (null: no such file or id).</summary>
    internal static long? ReadLogId(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            return ReadLogId(connection, null);
        }
        catch (SqliteException)
        {
            // Not (yet) a FlowState database of this schema.
            return null;
        }
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_connection))]
    private void Connect(SqliteOpenMode mode)
    {
        _connection = OpenConnection(_options.Path, mode, _options.BusyTimeout);
    }

    /// <summary>Opens a connection to <paramref name="path"/> as the backend's are (unpooled: each is the backend's own), with its busy timeout.</summary>
    internal static SqliteConnection OpenConnection(string path, SqliteOpenMode mode, TimeSpan busyTimeout)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds),
        }.ToString());
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds};";
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void PrepareGet() => _get = new SqliteEntryRows(Connection(), $"SELECT {Columns} FROM flowstate_entries WHERE scope = ?1 AND key = ?2;", _options.Path, SqliteDirectCalls.Shared);

    /// <summary>The row of one key in the entries table, read in the connection's transaction if it has one.</summary>
    private BackendEntry? ReadOne(string scopeKey, string key)
    {
        _get!.Start(scopeKey, key);
        try
        {
            return _get.TryRead(out var entry) ? entry : null;
        }
        finally
        {
            _get.Stop();
        }
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
                SqliteStructureCheck.Run(Connection(), _options.Path);
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

    /// <summary>The entries of a read-only file under <paramref name="scopeKeyPrefix"/>, the logs' later changes applied, as one snapshot.</summary>
    private List<BackendEntry> ReadOnlySnapshot(string scopeKeyPrefix)
    {
        try
        {
            var log = ReadLogFiles();

            // One read transaction: the entries table and the log table as of one moment, whatever a writer does
            // meanwhile; the log files were read before it, so every record past its last folded one was there.
            using var transaction = Connection().BeginTransaction(deferred: true);
            var entries = new Dictionary<(string Scope, string Key), BackendEntry>();
            using (var rows = QueryEntries(Connection(), $"SELECT {Columns} FROM flowstate_entries;"))
            {
                while (rows.TryRead(out var entry))
                {
                    if (entry.ScopeKey.StartsWith(scopeKeyPrefix, StringComparison.Ordinal))
                    {
                        entries[(entry.ScopeKey, entry.Key)] = entry;
                    }
                }
            }

            foreach (var ((scope, key), change) in ReadLoggedChanges(transaction, null, out _))
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

            foreach (var change in log.After(ReadFolded(Connection(), transaction), strict: false).Records.SelectMany(record => record.Changes))
            {
                if (!change.ScopeKey.StartsWith(scopeKeyPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (change.Entry is { } entry)
                {
                    entries[(change.ScopeKey, change.Key)] = entry;
                }
                else
                {
                    entries.Remove((change.ScopeKey, change.Key));
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
            var log = ReadLogFiles();
            using var transaction = Connection().BeginTransaction(deferred: true);
            var records = log.After(ReadFolded(Connection(), transaction), strict: false).Records;
            for (var i = records.Count - 1; i >= 0; i--)
            {
                for (var j = records[i].Changes.Count - 1; j >= 0; j--)
                {
                    if (records[i].Changes[j] is var change && change.ScopeKey == scopeKey && change.Key == key)
                    {
                        return change.Entry;
                    }
                }
            }

            if (ReadLoggedChanges(transaction, (scopeKey, key), out _).Values.FirstOrDefault() is { } logged)
            {
                return logged.Value is null ? null : new BackendEntry(scopeKey, key, logged.Value, logged.Version, logged.ExpiresAt, logged.Ttl, logged.Sliding);
            }

            return ReadOne(scopeKey, key);
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

    private SqliteLogContents ReadLogFiles()
    {
        try
        {
            // A file of this schema has its log id from the transaction that gave it the schema; it never changes.
            return SqliteWriteAheadLog.Read(_options.Path, ReadLogId(Connection(), null) ?? 0);
        }
        catch (IOException ex)
        {
            throw new StateBackendException($"SQLite file '{_options.Path}': its write-ahead log files could not be read: {ex.Message}", ex);
        }
    }

    /// <summary>The latest logged change of each key (of one key: <paramref name="only"/>), checksums verified.</summary>
    private Dictionary<(string Scope, string Key), LoggedChange> ReadLoggedChanges(SqliteTransaction transaction, (string Scope, string Key)? only, out long rows)
    {
        var latest = new Dictionary<(string Scope, string Key), LoggedChange>();
        rows = 0;
        using var select = transaction.Connection!.CreateCommand();
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
            rows++;
        }

        return latest;
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

    private readonly record struct LoggedChange(byte[]? Value, long Version, long ExpiresAt, long Ttl, bool Sliding, long? Checksum);
}
