namespace FlowState;

// What the stream runtime needs from the engine: to be told which keys change, and to copy entries out and back in.
public sealed partial class StateStore
{
    private readonly ChangeObserverList _observers = new();

    /// <summary>
    /// Installs <paramref name="observer"/> unless an observer of the same type is installed already (one stream
    /// pipeline, one run index per store).
    /// </summary>
    /// <returns>Whether it was installed (or was installed already).</returns>
    internal bool TryAddChangeObserver(IStateChangeObserver observer)
    {
        lock (_writeLock)
        {
            return _observers.TryAdd(observer);
        }
    }

    /// <summary>Removes <paramref name="observer"/> if it is installed.</summary>
    internal void RemoveChangeObserver(IStateChangeObserver observer)
    {
        lock (_writeLock)
        {
            _observers.Remove(observer);
        }
    }

    /// <summary>The live entry of a key as a backend would store it, or null when there is none (or it expired).</summary>
    internal BackendEntry? ReadBackendEntry(StateScope scope, string key)
    {
        var node = FindNode(scope);
        var entry = node is null ? null : Read(node, key);
        return entry is null
            ? null
            : new BackendEntry(scope.StorageKey, entry.Key, ValueOf(entry), entry.Version, entry.ExpiresAtTicks, entry.TimeToLiveTicks, entry.Sliding);
    }

    /// <summary>
    /// Every live entry inside <paramref name="scope"/> (its child scopes included) whose key passes
    /// <paramref name="include"/>. Reads without the write lock: callers make sure nobody else writes those keys meanwhile.
    /// </summary>
    internal List<BackendEntry> ReadBackendEntries(StateScope scope, Func<string, bool> include)
    {
        var entries = new List<BackendEntry>();
        var root = FindNode(scope);
        if (root is null)
        {
            return entries;
        }

        var now = NowTicks();
        var pending = new Stack<ScopeNode>();
        pending.Push(root);
        while (pending.TryPop(out var node))
        {
            foreach (var entry in node.Entries)
            {
                if (!entry.IsExpired(now) && include(entry.Key))
                {
                    entries.Add(new BackendEntry(node.Scope.StorageKey, entry.Key, ValueOf(entry), entry.Version, entry.ExpiresAtTicks, entry.TimeToLiveTicks, entry.Sliding));
                }
            }

            foreach (var child in node.Children?.Values ?? Enumerable.Empty<ScopeNode>())
            {
                pending.Push(child);
            }
        }

        return entries;
    }

    /// <summary>
    /// Writes entries of an intact checkpoint as one change (readers see all of them or none), without the per-write
    /// planning of a batch (no plan object per key): no expected versions, no JSON validation (the checkpoint's
    /// checksum vouched for the values), no scope limits. Expired entries are skipped; the rest keep their remaining
    /// time to live. Durable at the store's level when the task completes.
    /// </summary>
    /// <param name="parts">The entries, in parts (a checkpoint's partitions).</param>
    /// <param name="scopes">The scope of every entry, by its storage key, with how many entries each holds.</param>
    /// <param name="cancellationToken">Stops the wait for a commit slot.</param>
    internal async Task RestoreEntriesAsync(IReadOnlyList<List<RestoredEntry>> parts, IReadOnlyDictionary<string, RestoredScope> scopes, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var waits = _commits is not null && _options.Durability != Durability.None;
        if (waits)
        {
            await _commits!.WaitForSlotAsync(cancellationToken).ConfigureAwait(false);
        }

        Task? durable = null;
        PendingEvictions? evictions = null;
        try
        {
            lock (_writeLock)
            {
                ThrowIfDisposed();
                _commits?.ThrowIfFaulted();
                ThrowIfReadOnlyLocked();
                var now = NowTicks();
                var version = _version + 1;
                Volatile.Write(ref _version, version);
                Interlocked.Increment(ref _batchSequence);
                try
                {
                    foreach (var scope in scopes.Values)
                    {
                        _tree.GetOrCreateLocked(scope.Scope).Entries.Reserve(scope.Entries);
                    }

                    foreach (var part in parts)
                    {
                        RestoreLocked(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(part), scopes, version, now, ref evictions);
                    }
                }
                finally
                {
                    Interlocked.Increment(ref _batchSequence);
                }

                if (_bounded)
                {
                    EvictForCapacityLocked(version, ref evictions);
                }

                durable = _commits is null ? null : QueueChangesLocked(_options.Durability, holdsSlot: waits);
            }
        }
        finally
        {
            if (waits && durable is null)
            {
                _commits!.ReleaseSlot();
            }

            NotifyEvicted(evictions);
        }

        if (durable is not null)
        {
            await durable.ConfigureAwait(false);
        }
    }

    private void RestoreLocked(ReadOnlySpan<RestoredEntry> entries, IReadOnlyDictionary<string, RestoredScope> scopes, long version, long now, ref PendingEvictions? evictions)
    {
        // A checkpoint's entries come scope by scope, sharing their scope's string: each scope's node is looked up once
        // per run of its entries.
        string? scopeKey = null;
        ScopeNode? node = null;
        foreach (ref readonly var stored in entries)
        {
            if (stored.ExpiresAtUtcTicks != 0 && stored.ExpiresAtUtcTicks <= now)
            {
                continue;
            }

            if (!ReferenceEquals(scopeKey, stored.ScopeKey))
            {
                scopeKey = stored.ScopeKey;
                node = _tree.GetOrCreateLocked(scopes[scopeKey].Scope);
            }

            node!.Entries.TryGetValue(stored.Key, out var original);
            var timeToLive = stored.ExpiresAtUtcTicks == 0 ? 0 : stored.ExpiresAtUtcTicks - now;
            WriteEntryLocked(
                node, stored.Key, System.Text.Encoding.UTF8.GetByteCount(stored.Key), stored.Value!, timeToLive, stored.Sliding, original, StateChangeKind.Set, version, now, ref evictions);
        }
    }
}
