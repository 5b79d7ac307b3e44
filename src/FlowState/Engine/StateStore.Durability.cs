namespace FlowState;

// The bridge to IStateBackend: loading at open, and handing each commit's changes to the group-commit queue.
public sealed partial class StateStore
{
    /// <summary>
    /// Statistics of the group commit: backend transactions, the commits they carried, and the time spent writing
    /// them in the backend (the rest of a durable write's time is the store's own work and waiting for a group).
    /// </summary>
    public GroupCommitStatistics GroupCommitStatistics =>
        _commits is null ? new GroupCommitStatistics(0, 0, TimeSpan.Zero) : new GroupCommitStatistics(_commits.Groups, _commits.Commits, _commits.BackendTime);

    /// <summary>
    /// Takes a consistent online backup of the store's backend to <paramref name="destination"/> (a SQLite file, a
    /// RocksDB directory; it must not exist). Every write acknowledged before the call, and every write behind at
    /// <see cref="Durability.None"/>, is in it; writes may go on meanwhile. Restore by opening a store on the copy
    /// (or by moving it into place while the store is closed, and deleting the store's high-water mark, see
    /// <see cref="IHighWaterMarkedStateBackend"/>: the copy is older than what the store acknowledged).
    /// </summary>
    /// <exception cref="NotSupportedException">The store has no backend, or one that cannot take backups.</exception>
    /// <exception cref="IOException"><paramref name="destination"/> exists.</exception>
    /// <exception cref="StateBackendException">The backend failed.</exception>
    public async Task BackupAsync(string destination, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        ThrowIfDisposed();
        if (_backend is not IStateBackupSource source)
        {
            throw new NotSupportedException(_backend is null
                ? "An in-memory store has no backend to back up; use ExportAsync to save its state."
                : $"The backend '{_backend.Description}' cannot take backups; use ExportAsync.");
        }

        // Everything queued before this point, written behind or not, reaches the backend before the copy is taken.
        Task drained;
        lock (_writeLock)
        {
            drained = _commits!.Enqueue([], Durability.None, holdsSlot: false, _version);
        }

        await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        await source.BackupAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads every stored entry, setting the store's metadata and version history apart. With
    /// <paramref name="inChunks"/> it loads the entries in chunks as it goes — a store that pages values out never
    /// holds more than a chunk beyond its bound, and the scan's records die young instead of all being held until the
    /// end — and leaves the last partial chunk in <see cref="StoredScan.Rest"/>; without (migrations need every entry at
    /// once), all of them. Writes the load gives rise to (expired entries' deletions) wait until the scan is over, since a
    /// backend's connection may serve one thread at a time.
    /// </summary>
    private async Task<StoredScan> ScanStoredAsync(bool inChunks, CancellationToken cancellationToken)
    {
        var backend = _backend!;
        var scan = new StoredScan();
        await foreach (var entry in backend.ScanAsync(string.Empty, cancellationToken).ConfigureAwait(false))
        {
            if (scan.Add(entry) && inChunks && scan.Rest.Count == LoadChunk)
            {
                Load(scan.Rest, backend.Description, writeBehind: false);
                scan.Rest.Clear();
            }
        }

        return scan;
    }

    /// <summary>
    /// Loads stored entries into memory (in one call or in chunks); <paramref name="source"/> names the backend they
    /// came from in errors. A store that pages values out keeps the most recently loaded ones within its bound. The
    /// writes it gives rise to (expired entries' deletions) are queued now with <paramref name="writeBehind"/>, else
    /// by a later call's.
    /// </summary>
    private void Load(List<BackendEntry> loaded, string source, bool writeBehind)
    {
        lock (_writeLock)
        {
            var now = NowTicks();
            long maxVersion = 0;

            // Backends scan in scope order: each run of one scope is parsed, found in the tree, sized and counted once.
            for (var start = 0; start < loaded.Count;)
            {
                var scopeKey = loaded[start].ScopeKey;
                var end = start + 1;
                while (end < loaded.Count && string.Equals(loaded[end].ScopeKey, scopeKey, StringComparison.Ordinal))
                {
                    end++;
                }

                StateScope scope;
                try
                {
                    scope = StateScope.FromStorageKey(scopeKey);
                }
                catch (FormatException ex)
                {
                    throw new StateCorruptedException($"The backend '{source}' holds an entry with an unreadable scope '{scopeKey}' (key '{loaded[start].Key}'): {ex.Message}", ex) { Location = source };
                }

                // Made with the run's first live entry: a scope whose entries all expired gets no node.
                ScopeNode? node = null;
                long entries = 0;
                long bytes = 0;
                for (var i = start; i < end; i++)
                {
                    var stored = loaded[i];
                    maxVersion = Math.Max(maxVersion, stored.Version);
                    if (stored.ExpiresAtUtcTicks != 0 && stored.ExpiresAtUtcTicks <= now)
                    {
                        (_pendingChanges ??= []).Add(BackendChange.Delete(stored.ScopeKey, stored.Key));
                        continue;
                    }

                    if (StateNameValidator.FindProblem(stored.Key, "key") is { } problem)
                    {
                        throw new StateCorruptedException($"The backend '{source}' holds an invalid key in scope '{scope}': {problem}") { Location = source };
                    }

                    if (node is null)
                    {
                        node = _tree.GetOrCreateLocked(scope);
                        node.Entries.Reserve(end - i);
                    }

                    var keyBytes = System.Text.Encoding.UTF8.GetByteCount(stored.Key);
                    var entry = new StateEntry(node, stored.Key, keyBytes, stored.Value, stored.Version, stored.ExpiresAtUtcTicks, stored.TimeToLiveTicks, stored.Sliding);
                    if (node.Entries.Set(entry) is { } duplicate)
                    {
                        entries--;
                        bytes -= duplicate.Size;
                        _resident?.Adjust(duplicate, -1);
                    }

                    entries++;
                    bytes += entry.Size;
                    if (_resident is not null)
                    {
                        _resident.Adjust(entry, 1);
                        _recency.StampMostRecentLocked(entry);
                    }

                    if (entry.ExpiresAtTicks != 0)
                    {
                        _expiry.Add(entry);
                    }
                }

                if (node is not null)
                {
                    ScopeTree.AdjustCountersLocked(node, entries, bytes);
                }

                start = end;
            }

            maxVersion = Math.Max(_version, maxVersion);
            Volatile.Write(ref _version, maxVersion);
            // Everything loaded is in the backend: none of it is undone after a failure, and all of it may be paged out.
            _commits?.MarkApplied(maxVersion);
            if (_resident is not null)
            {
                PendingEvictions? none = null;
                EvictForCapacityLocked(0, ref none);
            }

            if (writeBehind)
            {
                WriteBehindLocked();
            }
        }
    }

    /// <summary>
    /// Called by the group commit after the backend failed: every change newer than <paramref name="appliedVersion"/>
    /// never reached storage, so memory goes back to what the backend holds (writes stay refused until the store is
    /// reopened). Watchers saw changes that are now undone; they end with the failure and must watch again.
    /// </summary>
    private void RollBackUndurable(long appliedVersion, Exception failure)
    {
        lock (_writeLock)
        {
            _pendingChanges = null;
            var undo = _undurable?.TakeNewerThan(appliedVersion) ?? [];
            Interlocked.Increment(ref _batchSequence);
            try
            {
                foreach (var change in undo)
                {
                    UndoLocked(change);
                }
            }
            finally
            {
                Interlocked.Increment(ref _batchSequence);
            }

            if (undo.Count > 0)
            {
                StateStoreLog.RolledBackUndurable(_logger, _options.Name, undo.Count, appliedVersion, failure);
            }

            _watch.EndAllLocked(new StateBackendException(
                $"The backend '{_backend!.Description}' failed ({failure.Message}); changes after version {appliedVersion} were undone in memory, so changes this watcher received after that version were never stored. Reopen the store, read again and watch again.",
                failure));
        }
    }

    private void UndoLocked(UndurableChanges.Change change)
    {
        switch (change.Kind)
        {
            case UndurableChanges.Kind.HistoryAdded:
                _history.Remove(change.Scope, change.Key, change.History!);
                return;
            case UndurableChanges.Kind.HistoryDropped:
                _history.Restore(change.Scope, change.Key, change.History!);
                return;
        }

        _observers.Notify(change.Scope, change.Key);
        var node = FindNode(change.Scope);
        if (node is not null && node.Entries.TryRemove(change.Key, out var current))
        {
            ScopeTree.AdjustCountersLocked(node, -1, -current.Size);
            _resident?.Adjust(current, -1);
        }

        if (change.Previous is { } previous)
        {
            var target = _tree.GetOrCreateLocked(change.Scope);
            // The key's old node left the tree when the undone change emptied it; the entry moves to the scope's node now.
            var restored = ReferenceEquals(previous.Owner, target) ? previous : previous.MovedTo(target);
            target.Entries.Set(restored);
            ScopeTree.AdjustCountersLocked(target, 1, restored.Size);
            _resident?.Adjust(restored, 1);
            if (_bounded && restored.IsResident)
            {
                _recency.StampMostRecentLocked(restored);
            }

            if (restored.ExpiresAtTicks != 0)
            {
                _expiry.Add(restored);
            }
        }
        else if (node is not null)
        {
            ScopeTree.PruneLocked(node);
        }
    }

    /// <summary>Refuses a write to a read-only store, before anything changes (under the write lock).</summary>
    private void ThrowIfReadOnlyLocked()
    {
        if (_readOnly)
        {
            throw new StateRejectedException($"The store on '{_backend!.Description}' was opened read-only; open it without ReadOnly to write.");
        }
    }

    /// <summary>
    /// Refuses a storage that holds less than its high-water mark says it acknowledged. An empty storage is a new store
    /// at the path of an old one (its files were deleted): the mark is replaced.
    /// </summary>
    private static void ThrowIfOlderThanMark(string description, string markPath, StateHighWaterMark.Snapshot mark, long storedVersion)
    {
        var required = StateHighWaterMark.Required(mark);
        if (storedVersion > 0 && storedVersion < required)
        {
            throw new StateCorruptedException(
                $"The store on '{description}' holds versions up to {storedVersion}, but it acknowledged version {required} (high-water mark '{markPath}'): " +
                "it came back older than it was, through a write-ahead log cut short or an older copy of its files put in place. " +
                $"Restore the newest backup; or, if the older state is there on purpose (a restored backup), delete '{markPath}' and open the store again.") { Location = description };
        }
    }

    /// <summary>Starts advancing the high-water mark; a mark that cannot be created is logged and the store goes on without it.</summary>
    private void KeepHighWaterMark(string markPath, long storedVersion, StateHighWaterMark.Snapshot? previous)
    {
        try
        {
            var fsynced = previous is { } found && storedVersion > 0 ? Math.Min(found.MachineVersion, storedVersion) : 0;
            _commits!.KeepMark(StateHighWaterMark.Open(markPath, storedVersion, fsynced));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            StateStoreLog.HighWaterMarkFailed(_logger, ex, _options.Name, markPath);
        }
    }

    /// <summary>New versions start after <paramref name="version"/> (the backend's version record) even when no stored row has it.</summary>
    private void ContinueAfter(long version)
    {
        lock (_writeLock)
        {
            if (version > _version)
            {
                Volatile.Write(ref _version, version);
                _commits?.MarkApplied(version);
            }
        }
    }

    private void RecordUpsertLocked(StateEntry entry)
    {
        _observers.Notify(entry.Scope, entry.Key);
        if (_commits is not null)
        {
            (_pendingChanges ??= []).Add(BackendChange.Upsert(new BackendEntry(
                entry.Scope.StorageKey, entry.Key, entry.Utf8Json, entry.Version, entry.ExpiresAtTicks, entry.TimeToLiveTicks, entry.Sliding)));
        }
    }

    private void RecordDeleteLocked(StateEntry entry)
    {
        _observers.Notify(entry.Scope, entry.Key);
        if (_commits is not null)
        {
            (_pendingChanges ??= []).Add(BackendChange.Delete(entry.Scope.StorageKey, entry.Key));
        }
    }

    /// <summary>
    /// Queues this commit's changes; the task completes when they are durable. Null when there is nothing to wait for,
    /// which is always the case without a backend (nothing is recorded then).
    /// </summary>
    private Task? QueueChangesLocked(CommitMode mode) => QueueChangesLocked(mode, holdsSlot: mode.Waits);

    /// <summary>
    /// Queues this commit's changes at <paramref name="mode"/>'s durability, or notes their keys when the mode defers
    /// them; the task completes when they are durable. A writer that waits for them holds a slot of the queue
    /// (<paramref name="holdsSlot"/>), given back once written.
    /// </summary>
    private Task? QueueChangesLocked(CommitMode mode, bool holdsSlot)
    {
        var changes = _pendingChanges;
        _pendingChanges = null;
        // A read-only store's only changes are purges of expired entries at open and on the timer: memory only.
        if (changes is null || changes.Count == 0 || _readOnly)
        {
            return null;
        }

        // Values of paged-out entries evicted by these changes are read back after the lock, from the backend: the
        // changes that remove them must not reach it first.
        var gates = _evictionGates;
        _evictionGates = null;
        if (mode.Deferred is { } deferred && gates is null)
        {
            deferred.NoteLocked(changes);
            return null;
        }

        return _commits!.Enqueue(changes, mode.Durability, holdsSlot, _version, gates is null ? null : Task.WhenAll(gates));
    }

    /// <summary>
    /// Writes the current state of every key <paramref name="deferred"/> noted — its entry, or its deletion — in one
    /// batch at the store's durability, behind everything queued before; returns once it is durable.
    /// </summary>
    internal async ValueTask FlushDeferredAsync(DeferredWrites deferred, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var waits = _options.Durability != Durability.None;
        if (waits)
        {
            await _commits!.WaitForSlotAsync(cancellationToken).ConfigureAwait(false);
        }

        Task? durable = null;
        try
        {
            lock (_writeLock)
            {
                var now = NowTicks();
                foreach (var (scopeKey, key) in deferred.TakeLocked())
                {
                    // The key's state now, whoever wrote it last: a writer outside the run may have changed it since.
                    var node = FindNode(StateScope.FromStorageKey(scopeKey));
                    if (node is not null && node.Entries.TryGetValue(key, out var entry) && !entry.IsExpired(now))
                    {
                        (_pendingChanges ??= []).Add(BackendChange.Upsert(new BackendEntry(
                            scopeKey, key, entry.Utf8Json, entry.Version, entry.ExpiresAtTicks, entry.TimeToLiveTicks, entry.Sliding)));
                    }
                    else
                    {
                        (_pendingChanges ??= []).Add(BackendChange.Delete(scopeKey, key));
                    }
                }

                durable = QueueChangesLocked(_options.Durability, holdsSlot: waits);
            }
        }
        finally
        {
            if (waits && durable is null)
            {
                _commits!.ReleaseSlot();
            }
        }

        if (durable is not null)
        {
            await durable.ConfigureAwait(false);
        }
    }

    /// <summary>Queues background changes (expiry purges) without waiting; they ride with the next group.</summary>
    private void WriteBehindLocked()
    {
        if (_pendingChanges is null || _commits is null)
        {
            return;
        }

        try
        {
            _ = QueueChangesLocked(_options.Durability, holdsSlot: false);
        }
        catch (StateBackendException)
        {
            // The store is faulted; the next write reports it. Purged entries stay purged in memory only.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async ValueTask<CommitResult> CommitDurablyAsync(PreparedWrite[]? writes, ScopeClear? clear, CommitMode durability, CancellationToken cancellationToken)
    {
        if (writes is not null && _resident is not null)
        {
            await PageInMergedAsync(writes, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            try
            {
                return await CommitDurablyOnceAsync(writes, clear, durability, cancellationToken).ConfigureAwait(false);
            }
            catch (ValueNotResidentException paged)
            {
                // Paged out again between the read-back and the lock (memory is tight): read it back once more.
                await PageInAsync(paged.Entry!, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads back, before the write lock, the paged-out values that the merges among <paramref name="writes"/> build on.</summary>
    private async ValueTask PageInMergedAsync(PreparedWrite[] writes, CancellationToken cancellationToken)
    {
        foreach (var write in writes)
        {
            if (write.Kind == StateOperationKind.Merge && PeekLive(write.Scope, write.Key) is { IsResident: false } entry)
            {
                await PageInAsync(entry, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask<CommitResult> CommitDurablyOnceAsync(PreparedWrite[]? writes, ScopeClear? clear, CommitMode durability, CancellationToken cancellationToken)
    {
        var waits = durability.Waits;
        if (waits)
        {
            await _commits!.WaitForSlotAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _commits!.ThrowIfFaulted();
        }

        Task? durable = null;
        CommitResult result;
        try
        {
            (result, durable) = writes is null ? ClearCore(clear!, durability) : CommitCore(writes, durability);
        }
        finally
        {
            if (waits && durable is null)
            {
                // Nothing was queued (rejected, or nothing changed): the slot goes back now.
                _commits.ReleaseSlot();
            }
        }

        if (waits && durable is not null)
        {
            await durable.ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>What a scan of the backend found: the store's metadata and version history set apart from the entries.</summary>
    private sealed class StoredScan
    {
        public long StoredVersion { get; private set; }

        public BackendEntry? MigrationRecord { get; private set; }

        public long VersionMark { get; private set; }

        public List<BackendEntry> History { get; } = [];

        /// <summary>The entries not loaded in chunks yet.</summary>
        public List<BackendEntry> Rest { get; } = [];

        /// <summary>Sorts one stored entry in; true when it went to <see cref="Rest"/>.</summary>
        public bool Add(BackendEntry entry)
        {
            StoredVersion = Math.Max(StoredVersion, entry.Version);
            if (entry.ScopeKey == MetadataScopeKey)
            {
                MigrationRecord = entry.Key == MigrationVersionKey ? entry : MigrationRecord;
                VersionMark = entry.Key == VersionMarkKey ? entry.Version : VersionMark;
                return false;
            }

            if (entry.ScopeKey.StartsWith(VersionHistory.ScopePrefix, StringComparison.Ordinal))
            {
                History.Add(entry);
                return false;
            }

            Rest.Add(entry);
            return true;
        }
    }
}
