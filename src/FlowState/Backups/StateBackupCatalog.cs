using System.Globalization;
using System.Text.Json;
using FlowState.Files;

namespace FlowState;

/// <summary>
/// A folder of logical backups of a store, on any backend: full backups (every live entry) and incremental ones (the
/// entries changed and the keys deleted since the backup before), a catalog recording each with its checksum, retention
/// that never breaks an incremental chain, verification, dry-run restores, restores that back up the current state
/// first, and restores to the state at a store version or a time. Backups are in the portable JSON-lines layout of
/// <see cref="StateStore.ExportAsync"/>, so a backup of a SQLite store restores into RocksDB or PostgreSQL.
/// </summary>
/// <remarks>
/// Every file is written under a temporary name, fsynced and renamed, and the catalog last: a kill at any point leaves
/// the catalog as it was before the operation (files it does not name are removed by the next operation). One
/// operation at a time holds the catalog (a lock file): another, in this process or another, fails with
/// <see cref="StateBackupException"/> instead of waiting.
/// </remarks>
public sealed partial class StateBackupCatalog
{
    /// <summary>The catalog's file in its folder.</summary>
    public const string CatalogFileName = "catalog.json";

    private const string LockFileName = "catalog.lock";
    private const string BackupSuffix = ".backup.jsonl";
    private const string KeysSuffix = ".keys";

    private readonly TimeProvider _time;

    /// <summary>A catalog in <paramref name="directory"/> (created with the first backup).</summary>
    /// <param name="directory">The catalog's folder.</param>
    /// <param name="timeProvider">The clock backups are stamped with and retention ages are counted by (default: the system's).</param>
    public StateBackupCatalog(string directory, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The catalog's folder.</summary>
    public string Directory { get; }

    /// <summary>The backups in the catalog, oldest first (none when the folder or its catalog does not exist).</summary>
    /// <exception cref="StateCorruptedException">The catalog file is damaged.</exception>
    public async Task<IReadOnlyList<StateBackupRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        (await LoadAsync(cancellationToken).ConfigureAwait(false)).Backups;

    /// <summary>
    /// Takes a backup of <paramref name="store"/>: incremental when <paramref name="kind"/> is null and the catalog's
    /// newest backup is of this store and can be followed (else full), or the kind asked for. Writes may go on meanwhile;
    /// the backup holds the store's state at one version (a batch is in it whole or not at all).
    /// </summary>
    /// <param name="store">The store backed up.</param>
    /// <param name="kind">Full, incremental, or null to choose.</param>
    /// <param name="label">Why it is taken (kept in the catalog).</param>
    /// <param name="cancellationToken">Cancels the backup; the catalog stays as it was.</param>
    /// <exception cref="StateBackupException">An incremental backup was asked for and there is no base it can follow, or the catalog is in use.</exception>
    public async Task<StateBackupRecord> CreateAsync(StateStore store, StateBackupKind? kind = null, string? label = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var hold = Hold();
        var catalog = await LoadAsync(cancellationToken).ConfigureAwait(false);
        RemoveLeftovers(catalog);
        return await CreateHeldAsync(catalog, store, kind, label, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads every backup whole and checks it against the catalog: its file (and a full backup's key list) present and matching their
    /// checksums and counts, and its chain complete and intact.
    /// </summary>
    /// <returns>One check per backup, oldest first.</returns>
    /// <exception cref="StateBackupException">The catalog is in use.</exception>
    public async Task<IReadOnlyList<StateBackupCheck>> VerifyAsync(CancellationToken cancellationToken = default)
    {
        using var hold = Hold();
        var catalog = await LoadAsync(cancellationToken).ConfigureAwait(false);
        var problems = new Dictionary<long, string?>();
        var checks = new List<StateBackupCheck>();
        foreach (var record in catalog.Backups)
        {
            var problem = await ProblemOfAsync(record, cancellationToken).ConfigureAwait(false);
            if (problem is null && record.BaseId is { } baseId)
            {
                problem = !problems.TryGetValue(baseId, out var baseProblem)
                    ? string.Create(CultureInfo.InvariantCulture, $"it is based on backup {baseId}, which the catalog no longer holds; take a new full backup")
                    : baseProblem is null ? null : string.Create(CultureInfo.InvariantCulture, $"it is based on backup {baseId}, which is not intact");
            }

            problems[record.Id] = problem;
            checks.Add(new StateBackupCheck(record.Id, problem is null, problem));
        }

        return checks;
    }

    /// <summary>
    /// Removes the backups <paramref name="retention"/> does not keep, with their files; a backup a kept one is based on
    /// is kept, and so is the newest. With <paramref name="dryRun"/>, changes nothing and says what it would remove.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="retention"/> keeps by neither count nor age, or by a count below 1.</exception>
    /// <exception cref="StateBackupException">The catalog is in use.</exception>
    public async Task<StateBackupPruneResult> PruneAsync(StateBackupRetention retention, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(retention);
        if (retention.KeepLast is null && retention.KeepFor is null)
        {
            throw new ArgumentException("Say what to keep: the newest N backups (KeepLast), those younger than a duration (KeepFor), or both.", nameof(retention));
        }

        if (retention.KeepLast is < 1)
        {
            throw new ArgumentException($"KeepLast is {retention.KeepLast}: keep at least the newest backup (1).", nameof(retention));
        }

        using var hold = Hold();
        var catalog = await LoadAsync(cancellationToken).ConfigureAwait(false);
        var byId = catalog.Backups.ToDictionary(record => record.Id);
        var kept = new HashSet<long>();
        var newestFirst = catalog.Backups.OrderByDescending(record => record.Id).ToList();
        var now = _time.GetUtcNow();
        for (var i = 0; i < newestFirst.Count; i++)
        {
            var record = newestFirst[i];
            if (i == 0 || i < retention.KeepLast || (retention.KeepFor is { } age && now - record.CreatedAt <= age))
            {
                // A kept backup keeps its chain: an incremental one cannot be restored without every backup before it.
                for (StateBackupRecord? link = record; link is not null && kept.Add(link.Id); link = link.BaseId is { } baseId ? byId.GetValueOrDefault(baseId) : null)
                {
                }
            }
        }

        var removed = catalog.Backups.Where(record => !kept.Contains(record.Id)).ToList();
        var remaining = catalog.Backups.Where(record => kept.Contains(record.Id)).ToList();
        if (!dryRun && removed.Count > 0)
        {
            // The catalog first: a kill before the files are deleted leaves files it does not name, removed next time.
            await SaveAsync(catalog with { Backups = remaining }, cancellationToken).ConfigureAwait(false);
            foreach (var record in removed)
            {
                File.Delete(BackupPath(record.Id));
                File.Delete(KeysPath(record.Id));
            }
        }

        return new StateBackupPruneResult(removed, remaining);
    }

    private async Task<StateBackupRecord> CreateHeldAsync(BackupCatalogDocument catalog, StateStore store, StateBackupKind? kind, string? label, CancellationToken cancellationToken)
    {
        var source = store.SourceDescription;
        var entries = store.SnapshotEntries(out var version);
        var latest = catalog.Backups.Count == 0 ? null : catalog.Backups[^1];
        Dictionary<(string Scope, string Key), (long Version, long ExpiresAtTicks)>? baseKeys = null;
        if (kind != StateBackupKind.Full)
        {
            var why = latest is null ? "the catalog holds no backup to base it on"
                : !string.Equals(latest.Source, source, StringComparison.Ordinal) ? $"the newest backup ({latest.Id}) is of '{latest.Source}', not of this store ('{source}')"
                : version < latest.Version ? string.Create(CultureInfo.InvariantCulture, $"the store is at version {version}, before the newest backup's {latest.Version} (it is another store, or an older copy)")
                : null;
            if (why is null)
            {
                try
                {
                    baseKeys = await KeysAtAsync(catalog, latest!, cancellationToken).ConfigureAwait(false);
                }
                catch (StateCorruptedException ex)
                {
                    why = ex.Message;
                }
            }

            if (why is not null && kind == StateBackupKind.Incremental)
            {
                throw new StateBackupException($"An incremental backup cannot be taken in '{Directory}': {why}. Take a full backup.");
            }
        }

        var id = catalog.NextId;
        var written = entries;
        var deletions = new List<(string Scope, string Key)>();
        if (baseKeys is not null)
        {
            // Changed since the base: new, a newer version, or another expiry (a sliding entry renewed by reads). What
            // is left of the base's keys once every live one is taken out was deleted.
            written = [];
            foreach (var entry in entries)
            {
                if (!baseKeys.Remove((entry.ScopeKey, entry.Key), out var before) || entry.Version > latest!.Version || entry.ExpiresAtUtcTicks != before.ExpiresAtTicks)
                {
                    written.Add(entry);
                }
            }

            deletions = [.. baseKeys.Keys];
            deletions.Sort(StorageNameOrder.Pairs);
        }

        written.Sort(StorageNameOrder.Entries);
        System.IO.Directory.CreateDirectory(Directory);
        var header = new BackupFile.Header(id, baseKeys is null ? StateBackupKind.Full : StateBackupKind.Incremental, baseKeys is null ? null : latest!.Id,
            baseKeys is null ? 0 : latest!.Version, version, _time.GetUtcNow(), source);
        var (sha256, bytes) = await BackupFile.WriteAsync(BackupPath(id), header, written, deletions, cancellationToken).ConfigureAwait(false);

        // Only a full backup has a key list: an incremental one's keys are its chain's, replayed (see KeysAtAsync), so
        // its size follows the changes rather than the store.
        var keysSha256 = baseKeys is null ? await BackupKeyList.WriteAsync(KeysPath(id), written, cancellationToken).ConfigureAwait(false) : string.Empty;
        var record = new StateBackupRecord(id, header.Kind, header.BaseId, header.FromVersion, version, header.CreatedAt, written.Count, deletions.Count, entries.Count, bytes, sha256, source, label)
        {
            KeysSha256 = keysSha256,
        };
        catalog.Backups.Add(record);
        catalog.NextId = id + 1;
        await SaveAsync(catalog, cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>The keys (with versions and expiry) the state of <paramref name="record"/> holds: its full backup's key list, then each incremental backup of its chain replayed.</summary>
    private async Task<Dictionary<(string Scope, string Key), (long Version, long ExpiresAtTicks)>> KeysAtAsync(BackupCatalogDocument catalog, StateBackupRecord record, CancellationToken cancellationToken)
    {
        var chain = ChainOf(catalog, record);
        var keys = BackupKeyList.Read(KeysPath(chain[0].Id), chain[0].KeysSha256);
        foreach (var link in chain.Skip(1))
        {
            var (written, deletions) = await BackupFile.ReadAsync(BackupPath(link.Id), link, cancellationToken).ConfigureAwait(false);
            foreach (var entry in written)
            {
                keys[(entry.ScopeKey, entry.Key)] = (entry.Version, entry.ExpiresAtUtcTicks);
            }

            foreach (var name in deletions)
            {
                keys.Remove(name);
            }
        }

        return keys;
    }

    /// <summary>The backups <paramref name="record"/> is restored from: its full backup first, then each incremental one up to it.</summary>
    /// <exception cref="StateCorruptedException">A backup of the chain is no longer in the catalog.</exception>
    private List<StateBackupRecord> ChainOf(BackupCatalogDocument catalog, StateBackupRecord record)
    {
        var chain = new List<StateBackupRecord>();
        var byId = catalog.Backups.ToDictionary(backup => backup.Id);
        for (var link = record; ; link = byId[link.BaseId.Value])
        {
            chain.Add(link);
            if (link.BaseId is not { } baseId)
            {
                break;
            }

            if (!byId.ContainsKey(baseId))
            {
                throw new StateCorruptedException(string.Create(CultureInfo.InvariantCulture, $"Backup {record.Id}'s chain needs backup {baseId}, which the catalog '{Directory}' no longer holds. Restore another backup, or take a full one.")) { Location = Directory };
            }
        }

        chain.Reverse();
        return chain;
    }

    private async Task<string?> ProblemOfAsync(StateBackupRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await BackupFile.ReadAsync(BackupPath(record.Id), record, cancellationToken).ConfigureAwait(false);
            if (record.Kind == StateBackupKind.Full)
            {
                BackupKeyList.Read(KeysPath(record.Id), record.KeysSha256);
            }

            return null;
        }
        catch (StateCorruptedException ex)
        {
            return ex.Message;
        }
    }

    private string BackupPath(long id) => Path.Combine(Directory, id.ToString("D6", CultureInfo.InvariantCulture) + BackupSuffix);

    private string KeysPath(long id) => Path.Combine(Directory, id.ToString("D6", CultureInfo.InvariantCulture) + KeysSuffix);

    /// <summary>Holds the catalog for one operation: a lock file another process (or another operation here) cannot hold too.</summary>
    private FileStream Hold()
    {
        System.IO.Directory.CreateDirectory(Directory);
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix, released by the kernel if the holder dies.
            return new FileStream(Path.Combine(Directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new StateBackupException($"The backup catalog '{Directory}' is in use by another backup, restore, verify or prune ({ex.Message}); try again when it ends.", ex);
        }
    }

    private async Task<BackupCatalogDocument> LoadAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Directory, CatalogFileName);
        if (!File.Exists(path))
        {
            return BackupCatalogDocument.Empty();
        }

        BackupCatalogDocument? catalog;
        try
        {
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            catalog = JsonSerializer.Deserialize(bytes, BackupCatalogJsonContext.Default.BackupCatalogDocument);
        }
        catch (JsonException ex)
        {
            throw new StateCorruptedException($"The backup catalog '{path}' is damaged ({ex.Message}); the backup files beside it are intact or not on their own, but no longer listed.", ex) { Location = path };
        }

        if (catalog is null || catalog.Format != BackupCatalogDocument.CatalogFormat || catalog.Version != BackupCatalogDocument.CatalogFormatVersion || catalog.Backups is null)
        {
            throw new StateCorruptedException($"'{path}' is not a FlowState backup catalog of format version {BackupCatalogDocument.CatalogFormatVersion}.") { Location = path };
        }

        return catalog;
    }

    private Task SaveAsync(BackupCatalogDocument catalog, CancellationToken cancellationToken) =>
        DurableFile.WriteAsync(Path.Combine(Directory, CatalogFileName), JsonSerializer.SerializeToUtf8Bytes(catalog, BackupCatalogJsonContext.Default.BackupCatalogDocument), cancellationToken);

    /// <summary>Removes what a killed operation left: temporary files, and backup files the catalog does not name.</summary>
    private void RemoveLeftovers(BackupCatalogDocument catalog)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return;
        }

        var named = catalog.Backups.Select(record => record.Id).ToHashSet();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
        {
            var name = Path.GetFileName(file);
            var suffix = name.EndsWith(BackupSuffix, StringComparison.Ordinal) ? BackupSuffix : name.EndsWith(KeysSuffix, StringComparison.Ordinal) ? KeysSuffix : null;
            var orphan = suffix is not null
                && long.TryParse(name.AsSpan(0, name.Length - suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                && !named.Contains(id);
            if (orphan || name.Contains(DurableFile.TemporaryInfix, StringComparison.Ordinal))
            {
                File.Delete(file);
            }
        }
    }
}
