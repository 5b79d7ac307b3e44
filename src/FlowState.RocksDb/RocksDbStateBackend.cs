using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowState.RocksDb;

/// <summary>
/// The embedded LSM backend: one RocksDB directory. Entries live in the <c>entries</c> column family, each scope's
/// subtree under a key prefix of its own (see the layout in docs/architecture.md); the schema version lives in the default column family. A store's batch is one
/// RocksDB write batch. <see cref="Durability.Process"/> writes the write-ahead log without syncing it (a killed
/// process loses nothing); <see cref="Durability.Machine"/> writes with <c>sync=true</c> (the log is fsynced).
/// </summary>
public sealed class RocksDbStateBackend : IStateBackend, IStateBackupSource, IReadOnlyStateBackend, IHighWaterMarkedStateBackend
{
    /// <summary>The schema this version writes and reads.</summary>
    public const int SchemaVersion = 1;

    private const string EntriesFamily = "entries";
    private const string MarkerFile = "FLOWSTATE-CLOSED";
    private const string MarkerMagic = "flowstate-rocksdb-closed-at";
    private const int TolerateCorruptedTailRecords = 0; // rocksdb::WALRecoveryMode
    private const int AbsoluteConsistency = 1;
    private static readonly byte[] SchemaKey = Encoding.UTF8.GetBytes("flowstate.schema");

    // Native option objects, made once and kept for the process's life (a backend's are a few hundred bytes).
    private static readonly IntPtr Unsynced = WriteOptions(sync: false);
    private static readonly IntPtr Synced = WriteOptions(sync: true);
    private static readonly IntPtr Scan = ScanOptions();
    private readonly RocksDbStateBackendOptions _options;
    private readonly ILogger _logger;
    private RocksDbDatabase? _db;

    /// <summary>A backend on the directory <see cref="RocksDbStateBackendOptions.Path"/>.</summary>
    public RocksDbStateBackend(RocksDbStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path, "options.Path");
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<RocksDbStateBackend>() ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>A backend on the directory <paramref name="path"/>.</summary>
    public RocksDbStateBackend(string path)
        : this(new RocksDbStateBackendOptions { Path = path })
    {
    }

    /// <inheritdoc />
    public string Description => $"rocksdb:{_options.Path}";

    /// <inheritdoc />
    public bool IsReadOnly => _options.ReadOnly;

    /// <inheritdoc />
    /// <remarks><c>{directory}.flowstate-mark</c>, beside the database directory (an older copy of the directory put in place leaves it).</remarks>
    public string HighWaterMarkPath => Path.TrimEndingDirectorySeparator(_options.Path) + ".flowstate-mark";

    /// <inheritdoc />
    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (_options.ReadOnly && !Directory.Exists(_options.Path))
            {
                throw new StateBackendException($"RocksDB directory '{_options.Path}' does not exist; a read-only store cannot create it. Check the path, or open it without ReadOnly.");
            }

            Directory.CreateDirectory(_options.Path);
            VerifyCurrentFile();
            VerifyNothingWasForgotten();
            // Read-only: no LOCK taken (a writer may hold it), the write-ahead logs replayed into memory only.
            _db = RocksDbDatabase.Open(_options.Path, EntriesFamily, ConfigureDatabase, _options.ReadOnly);
            var stored = _db.GetDefault(SchemaKey);
            if (stored is null && _options.ReadOnly)
            {
                throw new StateBackendException($"RocksDB directory '{_options.Path}' is not a FlowState store (it has no FlowState schema); a read-only store cannot create one.");
            }

            if (stored is null)
            {
                _db.PutDefault(SchemaKey, Encoding.UTF8.GetBytes(SchemaVersion.ToString(CultureInfo.InvariantCulture)), Synced);
            }
            else if (!int.TryParse(Encoding.UTF8.GetString(stored), NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version > SchemaVersion)
            {
                throw new StateCorruptedException(
                    $"RocksDB directory '{_options.Path}' has schema version '{Encoding.UTF8.GetString(stored)}'; this FlowState reads up to {SchemaVersion}. Use a newer FlowState.") { Location = _options.Path };
            }

            var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;

            RocksDbLog.Opened(_logger, _options.Path, _options.ReadOnly ? " read-only" : string.Empty, elapsedMs);
            return ValueTask.CompletedTask;
        }
        catch (Exception ex) when (ex is RocksDbNativeException or IOException or UnauthorizedAccessException)
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

        var db = Db();
        var prefix = RocksDbEntryCodec.EncodeScopePrefix(scopeKeyPrefix);
        using var iterator = db.IterateEntries(Scan);
        iterator.Seek(prefix);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            BackendEntry? entry;
            try
            {
                // Valid() also throws the error an iterator stopped on (a bad block).
                if (!iterator.Valid() || !iterator.Key().StartsWith(prefix))
                {
                    break;
                }

                entry = RocksDbEntryCodec.Decode(iterator.Key(), iterator.Value(), out var problem);
                if (entry is null)
                {
                    throw new StateCorruptedException($"RocksDB directory '{_options.Path}' holds an entry that is not FlowState's: {problem}. Restore it from a backup.") { Location = _options.Path };
                }

                iterator.Next();
            }
            catch (RocksDbNativeException ex)
            {
                throw Failure("read", ex);
            }

            yield return entry;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        ArgumentNullException.ThrowIfNull(key);
        var encodedKey = RocksDbEntryCodec.EncodeKey(scopeKey, key);
        byte[]? value;
        try
        {
            value = Db().GetEntry(encodedKey);
        }
        catch (RocksDbNativeException ex)
        {
            throw Failure("read", ex);
        }

        if (value is null)
        {
            return ValueTask.FromResult<BackendEntry?>(null);
        }

        return ValueTask.FromResult<BackendEntry?>(RocksDbEntryCodec.Decode(encodedKey, value, out var problem)
            ?? throw new StateCorruptedException($"RocksDB directory '{_options.Path}' holds an entry that is not FlowState's: {problem}. Restore it from a backup.") { Location = _options.Path });
    }

    /// <inheritdoc />
    public ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (_options.ReadOnly)
        {
            throw new StateRejectedException($"RocksDB directory '{_options.Path}' was opened read-only; open it without ReadOnly to write.");
        }

        var db = Db();
        try
        {
            db.WriteEntries(
                changes.Select(change => (RocksDbEntryCodec.EncodeKey(change.ScopeKey, change.Key), change.Entry is { } entry ? RocksDbEntryCodec.EncodeValue(entry) : null)),
                durability == Durability.Machine ? Synced : Unsynced);
            return ValueTask.CompletedTask;
        }
        catch (RocksDbNativeException ex)
        {
            throw Failure("write", ex);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// A RocksDB checkpoint: table files are hard-linked where the file system allows, the logs copied. It is written
    /// into a temporary folder, completed by a record of its files, fsynced and renamed, so a backup that was stopped
    /// midway never has <paramref name="destination"/>'s name (see <see cref="VerifyBackup"/>).
    /// </remarks>
    public ValueTask BackupAsync(string destination, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        var db = Db();
        if (File.Exists(destination) || Directory.Exists(destination))
        {
            throw new IOException($"The backup destination '{destination}' exists; FlowState does not overwrite it.");
        }

        try
        {
            RocksDbBackupFolder.Write(db, _options.Path, destination, _options.TimeProvider.GetUtcNow());
            return ValueTask.CompletedTask;
        }
        catch (RocksDbNativeException ex)
        {
            throw new StateBackendException($"RocksDB directory '{_options.Path}' could not be backed up to '{destination}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Checks, without writing to it, that <paramref name="path"/> is a complete backup taken by
    /// <see cref="BackupAsync"/>: its record is there and every file it lists has the recorded size.
    /// </summary>
    /// <returns>What the backup records about itself.</returns>
    /// <exception cref="DirectoryNotFoundException">There is no such folder.</exception>
    /// <exception cref="StateCorruptedException">It is not a complete backup (a store, a partial or damaged copy).</exception>
    public static StateBackupInfo VerifyBackup(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return RocksDbBackupFolder.Verify(path);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        try
        {
            // Flushing both column families' memtables to table files retires the write-ahead log, so the next open
            // does not replay it (Flush alone covers only the default family).
            if (_db is not null)
            {
                _db.FlushAll();
                WriteCloseMarker(_db.LatestSequenceNumber);
            }
        }
        catch (Exception ex) when (ex is RocksDbNativeException or IOException or UnauthorizedAccessException)
        {
            // Everything written is in the log already; the next open replays it (and checks against the older marker).
            RocksDbLog.FlushAtCloseFailed(_logger, _options.Path, ex.Message);
        }
        finally
        {
            var wasOpen = _db is not null;
            Close();
            if (wasOpen)
            {
                RocksDbLog.Closed(_logger, _options.Path);
            }
        }

        return ValueTask.CompletedTask;
    }

    private string MarkerPath => System.IO.Path.Combine(_options.Path, MarkerFile);

    /// <summary>
    /// A RocksDB whose MANIFEST lost its tail opens without complaint to an older state, forgetting table files (and
    /// deleting them). The sequence number recorded at the last clean close catches that: a recovered database is
    /// never behind it. The check opens read-only first, so a damaged database is refused before anything is deleted.
    /// </summary>
    private void VerifyNothingWasForgotten()
    {
        if (!File.Exists(MarkerPath))
        {
            return;
        }

        var text = File.ReadAllText(MarkerPath);
        var parts = text.Split(' ', StringSplitOptions.TrimEntries);
        if (parts is not [MarkerMagic, var sequenceText] || !ulong.TryParse(sequenceText, NumberStyles.None, CultureInfo.InvariantCulture, out var closedAt))
        {
            throw new StateCorruptedException($"RocksDB directory '{_options.Path}' is damaged: its marker file '{MarkerFile}' is unreadable. Restore it from a backup.") { Location = _options.Path };
        }

        ulong recovered;
        try
        {
            using var readOnly = RocksDbDatabase.Open(_options.Path, EntriesFamily, ConfigureDatabase, readOnly: true);
            recovered = readOnly.LatestSequenceNumber;
        }
        catch (RocksDbNativeException ex) when (ex.Message.Contains("Column family not found", StringComparison.Ordinal))
        {
            // The marker says this FlowState directory was closed cleanly, so its column family existed then.
            throw new StateCorruptedException($"RocksDB directory '{_options.Path}' is damaged: its '{EntriesFamily}' column family is gone (a MANIFEST lost data). Restore it from a backup.", ex) { Location = _options.Path };
        }

        if (recovered < closedAt)
        {
            throw new StateCorruptedException(
                $"RocksDB directory '{_options.Path}' is damaged: it recovers to sequence {recovered}, but it was closed at {closedAt} (a MANIFEST or log file lost data). Restore it from a backup.") { Location = _options.Path };
        }
    }

    private void WriteCloseMarker(ulong sequence)
    {
        var temporary = MarkerPath + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.ASCII.GetBytes($"{MarkerMagic} {sequence.ToString(CultureInfo.InvariantCulture)}\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, MarkerPath, overwrite: true);
    }

    private static IntPtr WriteOptions(bool sync)
    {
        var options = RocksDbNative.WriteOptionsCreate();
        RocksDbNative.WriteOptionsSetSync(options, sync ? (byte)1 : (byte)0);
        return options;
    }

    private static IntPtr ScanOptions()
    {
        var options = RocksDbNative.ReadOptionsCreate();
        RocksDbNative.ReadOptionsSetVerifyChecksums(options, 1);
        RocksDbNative.ReadOptionsSetFillCache(options, 0);
        return options;
    }

    private void ConfigureDatabase(IntPtr options)
    {
        var create = _options.ReadOnly ? (byte)0 : (byte)1;
        RocksDbNative.OptionsSetCreateIfMissing(options, create);
        RocksDbNative.OptionsSetCreateMissingColumnFamilies(options, create);
        RocksDbNative.OptionsSetParanoidChecks(options, 1);
        RocksDbNative.OptionsSetKeepLogFileNum(options, 2);
        RocksDbNative.OptionsSetWalRecoveryMode(options, _options.TolerateTornLogTail ? TolerateCorruptedTailRecords : AbsoluteConsistency);
        // Recording each write-ahead log in the MANIFEST lets recovery notice a log that should be there and is not:
        // a MANIFEST cut short would otherwise silently forget table files and open to an older state.
        RocksDbNative.OptionsSetTrackAndVerifyWalsInManifest(options, 1);
    }

    private void Close()
    {
        _db?.Dispose();
        _db = null;
    }

    private RocksDbDatabase Db() =>
        _db ?? throw new InvalidOperationException($"The RocksDB backend '{_options.Path}' is not open; open the store with StateStore.OpenAsync.");

    // CURRENT names the live MANIFEST. A damaged name reads as a missing file to RocksDB ("IO error"), which would be
    // reported as a backend failure: it is damage to the store.
    private void VerifyCurrentFile()
    {
        var current = Path.Combine(_options.Path, "CURRENT");
        if (!File.Exists(current))
        {
            return;
        }

        var text = File.ReadAllText(current);
        var name = text.EndsWith('\n') ? text[..^1] : text;
        if (!text.EndsWith('\n') || !name.StartsWith("MANIFEST-", StringComparison.Ordinal) || name.Length == "MANIFEST-".Length
            || !name.AsSpan("MANIFEST-".Length).ToString().All(char.IsAsciiDigit) || !File.Exists(Path.Combine(_options.Path, name)))
        {
            throw new StateCorruptedException(
                $"RocksDB directory '{_options.Path}' is damaged: its CURRENT file names '{name.ReplaceLineEndings(" ")}', which is not a MANIFEST file of the directory. Restore it from a backup.") { Location = _options.Path };
        }
    }

    private StateException Failure(string what, Exception ex) =>
        ex.Message.StartsWith("Corruption", StringComparison.Ordinal)
            ? new StateCorruptedException($"RocksDB directory '{_options.Path}' is damaged ({what}): {ex.Message}. Restore it from a backup.", ex) { Location = _options.Path }
            : new StateBackendException($"RocksDB directory '{_options.Path}' failed to {what}: {ex.Message}", ex);
}
