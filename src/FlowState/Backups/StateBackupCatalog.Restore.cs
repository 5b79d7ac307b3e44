using System.Globalization;

namespace FlowState;

// Restores: the chain of a backup read and checked whole, compared with the store, written as one atomic batch.
public sealed partial class StateBackupCatalog
{
    /// <summary>
    /// What restoring <paramref name="point"/> into <paramref name="store"/> would change (a dry run): every key it would
    /// add, change or remove. Reads and checks the backup's chain; changes nothing.
    /// </summary>
    /// <exception cref="StateBackupException">No backup covers <paramref name="point"/>, or the catalog is in use.</exception>
    /// <exception cref="StateCorruptedException">A backup of the chain is missing or damaged.</exception>
    public async Task<StateRestorePlan> PlanRestoreAsync(StateStore store, StateRestorePoint point, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(point);
        using var hold = Hold();
        var catalog = await LoadAsync(cancellationToken).ConfigureAwait(false);
        var (plan, _) = await PlanHeldAsync(catalog, store, point, cancellationToken).ConfigureAwait(false);
        return plan;
    }

    /// <summary>
    /// Brings <paramref name="store"/> back to the state <paramref name="point"/> names: first backs up its current state
    /// (unless <paramref name="backUpCurrentState"/> is false), then writes every key that differs and deletes every key
    /// the backup does not hold, in one atomic batch. The whole chain is read and checked before anything is written.
    /// Restored keys get new versions, as any write does. A write to a key the restore changes, made while it runs,
    /// fails the restore with <see cref="StateConflictException"/> and nothing is restored (the safety backup stays).
    /// </summary>
    /// <exception cref="StateBackupException">No backup covers <paramref name="point"/>, or the catalog is in use.</exception>
    /// <exception cref="StateCorruptedException">A backup of the chain is missing or damaged; nothing was written.</exception>
    /// <exception cref="StateConflictException">The store changed while the restore ran; nothing was restored.</exception>
    public async Task<StateRestoreResult> RestoreAsync(StateStore store, StateRestorePoint point, bool backUpCurrentState = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(point);
        using var hold = Hold();
        var catalog = await LoadAsync(cancellationToken).ConfigureAwait(false);
        RemoveLeftovers(catalog);
        var (plan, target) = await PlanHeldAsync(catalog, store, point, cancellationToken).ConfigureAwait(false);
        var safety = backUpCurrentState
            ? await CreateHeldAsync(catalog, store, null, string.Create(CultureInfo.InvariantCulture, $"before restoring backup {plan.Backup.Id}"), cancellationToken).ConfigureAwait(false)
            : null;
        if (plan.Changes.Count == 0)
        {
            return new StateRestoreResult(plan, safety);
        }

        var now = store.NowTicks();
        var batch = store.CreateBatch();
        foreach (var change in plan.Changes)
        {
            var name = (change.Scope.StorageKey, change.Key);
            var expected = target.Current.TryGetValue(name, out var current) ? current.Version : 0;
            if (change.Kind == StateRestoreChangeKind.Removed)
            {
                batch.Within(change.Scope).Delete(change.Key, expected);
                continue;
            }

            var entry = target.Entries[name];
            batch.Within(change.Scope).SetRaw(entry.Key, entry.Value, new StateWriteOptions
            {
                // Exactly the backup's expiry: no expiry stays none (not the store's default), a sliding one its window;
                // one that ran out since the plan was made still gets a moment rather than an invalid time to live.
                TimeToLive = entry.ExpiresAtUtcTicks == 0 ? Timeout.InfiniteTimeSpan
                    : TimeSpan.FromTicks(entry.Sliding ? entry.TimeToLiveTicks : Math.Max(TimeSpan.TicksPerMillisecond, entry.ExpiresAtUtcTicks - now)),
                SlidingExpiration = entry.Sliding,
                ExpectedVersion = expected,
            });
        }

        try
        {
            await store.ApplyAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (StateConflictException ex)
        {
            throw new StateConflictException($"The store changed while backup {plan.Backup.Id} was being restored ({ex.Message}); nothing was restored. Stop the writers and restore again.", ex);
        }

        return new StateRestoreResult(plan, safety);
    }

    private async Task<(StateRestorePlan Plan, RestoreTarget Target)> PlanHeldAsync(BackupCatalogDocument catalog, StateStore store, StateRestorePoint point, CancellationToken cancellationToken)
    {
        var record = Resolve(catalog, point);
        var chain = ChainOf(catalog, record);
        var entries = new Dictionary<(string Scope, string Key), BackendEntry>();
        foreach (var link in chain)
        {
            var (written, deletions) = await BackupFile.ReadAsync(BackupPath(link.Id), link, cancellationToken).ConfigureAwait(false);
            foreach (var entry in written)
            {
                entries[(entry.ScopeKey, entry.Key)] = entry;
            }

            foreach (var name in deletions)
            {
                entries.Remove(name);
            }
        }

        var now = store.NowTicks();
        var current = new Dictionary<(string Scope, string Key), BackendEntry>();
        foreach (var entry in store.SnapshotEntries(out _))
        {
            current[(entry.ScopeKey, entry.Key)] = entry;
        }

        var changes = new List<(string Scope, string Key, StateRestoreChangeKind Kind)>();
        var unchanged = 0L;
        foreach (var (name, entry) in entries)
        {
            if (entry.ExpiresAtUtcTicks != 0 && entry.ExpiresAtUtcTicks <= now)
            {
                continue; // expired since the backup: restored as absent
            }

            if (!current.TryGetValue(name, out var held))
            {
                changes.Add((name.Scope, name.Key, StateRestoreChangeKind.Added));
            }
            else if (!held.Value.AsSpan().SequenceEqual(entry.Value) || held.Sliding != entry.Sliding
                || (entry.Sliding ? held.TimeToLiveTicks != entry.TimeToLiveTicks : held.ExpiresAtUtcTicks != entry.ExpiresAtUtcTicks))
            {
                changes.Add((name.Scope, name.Key, StateRestoreChangeKind.Changed));
            }
            else
            {
                unchanged++;
            }
        }

        foreach (var name in current.Keys)
        {
            if (!entries.TryGetValue(name, out var entry) || (entry.ExpiresAtUtcTicks != 0 && entry.ExpiresAtUtcTicks <= now))
            {
                changes.Add((name.Scope, name.Key, StateRestoreChangeKind.Removed));
            }
        }

        changes.Sort(static (a, b) => StorageNameOrder.Compare(a.Scope, a.Key, b.Scope, b.Key));
        var plan = new StateRestorePlan(record, changes.Select(change => new StateRestoreChange(StateScope.FromStorageKey(change.Scope), change.Key, change.Kind)).ToList(), unchanged);
        return (plan, new RestoreTarget(entries, current));
    }

    private StateBackupRecord Resolve(BackupCatalogDocument catalog, StateRestorePoint point)
    {
        if (catalog.Backups.Count == 0)
        {
            throw new StateBackupException($"The backup catalog '{Directory}' holds no backup to restore; take one first.");
        }

        var found = point.Id is { } id ? catalog.Backups.Find(record => record.Id == id)
            : point.Version is { } version ? catalog.Backups.Where(record => record.Version <= version).MaxBy(record => (record.Version, record.Id))
            : point.Time is { } time ? catalog.Backups.Where(record => record.CreatedAt <= time).MaxBy(record => (record.CreatedAt, record.Id))
            : catalog.Backups[^1];
        if (found is null)
        {
            var first = catalog.Backups.MinBy(record => record.Version)!;
            throw new StateBackupException(point.Id is not null
                ? $"The backup catalog '{Directory}' holds no {point}: it holds backups {string.Join(", ", catalog.Backups.Select(record => record.Id))}."
                : string.Create(CultureInfo.InvariantCulture, $"No backup in '{Directory}' covers {point}: the earliest is backup {first.Id}, version {first.Version}, taken {first.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC."));
        }

        return found;
    }

    /// <summary>The state a restore writes (the chain applied) and the store's entries it compared it with.</summary>
    private sealed record RestoreTarget(Dictionary<(string Scope, string Key), BackendEntry> Entries, Dictionary<(string Scope, string Key), BackendEntry> Current);
}
