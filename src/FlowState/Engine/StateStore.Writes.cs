using System.Diagnostics;

namespace FlowState;

public sealed partial class StateStore
{
    private const int MaxUpdateAttempts = 10_000;

    internal ValueTask<CommitResult> CommitAsync(PreparedWrite[] writes, CancellationToken cancellationToken) =>
        CommitAsync(writes, _options.Durability, cancellationToken);

    /// <summary>
    /// Commits <paramref name="writes"/> and returns once they survive what <paramref name="durability"/> promises:
    /// <see cref="Durability.None"/> writes the backend behind (a flow run's asynchronous steps), a deferred mode not
    /// at all until the flush (a run that writes at its end); a level above the store's own is not offered.
    /// </summary>
    internal ValueTask<CommitResult> CommitAsync(PreparedWrite[] writes, CommitMode durability, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        if (!_instruments.WritesObserved)
        {
            return CommitUnmeasuredAsync(writes, durability, cancellationToken);
        }

        return MeasureAsync(CommitUnmeasuredAsync(writes, durability, cancellationToken), writes.Length, Stopwatch.GetTimestamp());
    }

    private ValueTask<CommitResult> CommitUnmeasuredAsync(PreparedWrite[] writes, CommitMode durability, CancellationToken cancellationToken)
    {
        if (_interceptors.Length > 0)
        {
            return CommitInterceptedAsync(writes, durability, cancellationToken);
        }

        ValidateValues(writes);
        return RunCommitAsync(writes, null, durability, cancellationToken);
    }

    private async ValueTask<CommitResult> MeasureAsync(ValueTask<CommitResult> commit, int operations, long started)
    {
        var result = await commit.ConfigureAwait(false);
        _instruments.RecordWrites(Name, operations, started);
        return result;
    }

    internal async ValueTask<T> UpdateAsync<T>(StateScope scope, string key, Func<T?, T> update, StateWriteOptions? options, CancellationToken cancellationToken)
    {
        StateNameValidator.ValidateKey(key);
        ArgumentNullException.ThrowIfNull(update);
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = PeekLive(scope, key);
            if (current is { IsResident: false })
            {
                current = await PageInAsync(current, cancellationToken).ConfigureAwait(false);
            }

            var currentVersion = current?.Version ?? 0;
            if (options?.ExpectedVersion is { } expected && expected != currentVersion)
            {
                throw Conflict(scope, key, expected, currentVersion);
            }

            var value = current is null ? default : current.Deserialize<T>(_jsonDeep);
            var next = update(value);
            var json = JsonValueCodec.Serialize(next, _jsonDeep, key, _limits.ValueLimitsFor(scope).MaxBytes, scope);
            var writeOptions = (options ?? StateWriteOptions.None) with { ExpectedVersion = currentVersion };
            try
            {
                await CommitAsync([new PreparedWrite(StateOperationKind.Set, scope, key, json, writeOptions, inheritTimeToLive: true)], cancellationToken).ConfigureAwait(false);
                return next;
            }
            catch (StateConflictException) when (options?.ExpectedVersion is null && attempt < MaxUpdateAttempts)
            {
                // Another writer changed the key between our read and our write: read again and retry.
            }
        }
    }

    internal ValueTask<CommitResult> ClearAsync(StateScope scope, StateClearExtent extent, CancellationToken cancellationToken)
    {
        var clear = new ScopeClear(scope, extent);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        if (_interceptors.Length > 0)
        {
            return ClearInterceptedAsync(clear, cancellationToken);
        }

        return RunCommitAsync(null, clear, _options.Durability, cancellationToken);
    }

    internal static PreparedWrite[] Prepare(StateScope baseScope, StateBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var writes = new PreparedWrite[batch.Count];
        for (var i = 0; i < writes.Length; i++)
        {
            var op = batch.Operations[i];
            var scope = baseScope;
            foreach (var (kind, name) in op.RelativeScope)
            {
                scope = scope.ChildOfKind(kind, name);
            }

            writes[i] = new PreparedWrite(op.Kind, scope, op.Key, op.Utf8Json, op.Options, inheritTimeToLive: op.Kind == StateOperationKind.Merge);
        }

        return writes;
    }

    /// <summary>The error of a version check that failed (after <paramref name="attempts"/> tries when more than one).</summary>
    internal static StateConflictException Conflict(StateScope scope, string key, long expected, long actual, int attempts = 1) => new(
        $"Key '{key}' in scope '{scope}' has version {actual} but version {expected} was expected" +
        (expected == 0 ? " (the key had to be absent)" : actual == 0 ? " (the key does not exist)" : string.Empty) +
        (attempts > 1 ? $" after {attempts} attempts" : string.Empty) +
        "; read it again and retry.")
    {
        Scope = scope,
        Key = key,
        ExpectedVersion = expected,
        ActualVersion = actual,
    };

    private async ValueTask<CommitResult> CommitInterceptedAsync(PreparedWrite[] writes, CommitMode durability, CancellationToken cancellationToken)
    {
        foreach (var write in writes)
        {
            if (write.Kind == StateOperationKind.Check)
            {
                continue;
            }

            var context = write.Kind == StateOperationKind.Clear
                ? new StateWriteContext(StateOperationKind.Clear, write.Scope, null, ReadOnlyMemory<byte>.Empty, _json) { ClearExtent = StateClearExtent.ScopeOnly }
                : new StateWriteContext(write.Kind, write.Scope, write.Key, write.Utf8Json, _json);
            foreach (var interceptor in _interceptors)
            {
                await interceptor.OnWriteAsync(context, cancellationToken).ConfigureAwait(false);
            }

            if (write.Kind is StateOperationKind.Set or StateOperationKind.Merge)
            {
                write.Utf8Json = context.Value.ToArray();
            }
        }

        ValidateValues(writes);
        return await RunCommitAsync(writes, null, durability, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<CommitResult> ClearInterceptedAsync(ScopeClear clear, CancellationToken cancellationToken)
    {
        var context = new StateWriteContext(StateOperationKind.Clear, clear.Scope, null, ReadOnlyMemory<byte>.Empty, _json) { ClearExtent = clear.Extent };
        foreach (var interceptor in _interceptors)
        {
            await interceptor.OnWriteAsync(context, cancellationToken).ConfigureAwait(false);
        }

        return await RunCommitAsync(null, clear, _options.Durability, cancellationToken).ConfigureAwait(false);
    }

    private void ValidateValues(PreparedWrite[] writes)
    {
        foreach (var write in writes)
        {
            if (write.Kind is StateOperationKind.Set or StateOperationKind.Merge)
            {
                var (maxBytes, maxDepth) = _limits.ValueLimitsFor(write.Scope);
                // A patch's nulls vanish in the merge, so only the merged value is held to the depth limit.
                JsonValueCodec.Validate(write.Utf8Json, maxBytes, write.Kind == StateOperationKind.Set ? maxDepth : JsonValueCodec.SerializerMaxDepth, write.Scope, write.Key);
            }
        }
    }

    private StateEntry? PeekLive(StateScope scope, string key)
    {
        var node = FindNode(scope);
        if (node is null)
        {
            return null;
        }

        lock (_writeLock)
        {
            return node.Entries.TryGetValue(key, out var entry) && !entry.IsExpired(NowTicks()) ? entry : null;
        }
    }

    /// <summary>Commits in memory and queues the changes for the backend (if any); the task completes when they are durable.</summary>
    private (CommitResult Result, Task? Durable) CommitCore(PreparedWrite[] writes, CommitMode durability)
    {
        PendingEvictions? evictions = null;
        CommitResult result;
        Task? durable;
        try
        {
            lock (_writeLock)
            {
                ThrowIfDisposed();
                // A failed backend write is undone in memory under this lock; nothing may be applied on top of it after.
                _commits?.ThrowIfFaulted();
                ThrowIfReadOnlyLocked();
                try
                {
                    result = CommitLocked(writes, ref evictions);
                }
                catch
                {
                    // A rejected commit changed nothing, but its expiry purge did: that still goes to the backend.
                    WriteBehindLocked();
                    throw;
                }

                durable = QueueChangesLocked(durability);
            }
        }
        finally
        {
            NotifyEvicted(evictions);
        }

        return (result, durable);
    }

    private CommitResult CommitLocked(PreparedWrite[] writes, ref PendingEvictions? evictions)
    {
        // Every entry with an expiry sits in the expiry queue, so with an empty queue and no TTL to set, time
        // does not matter and the (costly) precise clock is not read.
        var now = !_expiry.IsEmpty || _options.DefaultTimeToLive is not null || _history.IsKept || AnySetsTimeToLive(writes) ? NowTicks() : 0;
        PurgeExpiredLocked(now, ref evictions);
        var version = _version + 1;
        var plan = PlanLocked(writes, version, now);
        CheckLimitsLocked(plan);

        var changed = 0;
        foreach (var key in plan)
        {
            changed += key.Changed ? 1 : 0;
        }

        if (changed == 0)
        {
            return new CommitResult(_version, 0);
        }

        Volatile.Write(ref _version, version);
        long removed = 0;
        var multiKey = changed > 1;
        if (multiKey)
        {
            Interlocked.Increment(ref _batchSequence);
        }

        try
        {
            foreach (var planned in plan)
            {
                if (!planned.Changed)
                {
                    continue;
                }

                if (planned.Exists)
                {
                    WriteEntryLocked(planned, version, now, ref evictions);
                }
                else
                {
                    RemoveEntryLocked(planned.Original!, EvictionReason.Deleted, StateChangeKind.Deleted, version, ref evictions);
                    removed++;
                }
            }
        }
        finally
        {
            if (multiKey)
            {
                Interlocked.Increment(ref _batchSequence);
            }
        }

        if (_bounded)
        {
            EvictForCapacityLocked(version, ref evictions);
        }

        CompactQueuesLocked();
        return new CommitResult(version, removed);
    }

    /// <summary>
    /// Runs a commit (<paramref name="writes"/>) or a clear (<paramref name="clear"/>): in memory only, completing
    /// synchronously, or through the group-commit queue when the store has a backend.
    /// </summary>
    private ValueTask<CommitResult> RunCommitAsync(PreparedWrite[]? writes, ScopeClear? clear, CommitMode durability, CancellationToken cancellationToken)
    {
        if (_commits is not null)
        {
            return CommitDurablyAsync(writes, clear, durability, cancellationToken);
        }

        var (result, _) = writes is null ? ClearCore(clear!, Durability.None) : CommitCore(writes, Durability.None);
        return new ValueTask<CommitResult>(result);
    }

    private static bool AnySetsTimeToLive(PreparedWrite[] writes)
    {
        foreach (var write in writes)
        {
            if (write.Options?.TimeToLive is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Works out every key's final state, checking versions and limits; changes nothing.</summary>
    private List<PlannedKey> PlanLocked(PreparedWrite[] writes, long version, long now)
    {
        var plan = new List<PlannedKey>(writes.Length);
        Dictionary<StateKey, PlannedKey>? byKey = writes.Length > 1 ? new(writes.Length) : null;
        foreach (var write in writes)
        {
            if (write.Kind == StateOperationKind.Clear)
            {
                // Expanded here, under the lock, so that a key written since anyone listed the scope goes too.
                PlanClearLocked(write.Scope, plan, byKey ??= [], now);
                continue;
            }

            var stateKey = new StateKey(write.Scope, write.Key);
            if (byKey is null || !byKey.TryGetValue(stateKey, out var planned))
            {
                StateEntry? original = null;
                if (FindNode(write.Scope) is { } node && node.Entries.TryGetValue(write.Key, out var entry) && !entry.IsExpired(now))
                {
                    original = entry;
                }

                planned = new PlannedKey(write.Scope, write.Key, original);
                plan.Add(planned);
                byKey?.Add(stateKey, planned);
            }

            if (write.Options?.ExpectedVersion is { } expected)
            {
                if (expected < 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(writes), expected, $"The expected version for key '{write.Key}' must be 0 (absent) or positive.");
                }

                var actual = planned.Exists ? planned.Version : 0;
                if (actual != expected)
                {
                    throw Conflict(write.Scope, write.Key, expected, actual);
                }
            }

            switch (write.Kind)
            {
                case StateOperationKind.Set:
                    SetPlanned(planned, write, write.Utf8Json!, StateChangeKind.Set, version);
                    break;
                case StateOperationKind.Merge:
                    if (planned.Exists && planned.Utf8Json is null)
                    {
                        // A backend read here would stall every writer: the commit reads it back after the lock.
                        throw new ValueNotResidentException(planned.Original!);
                    }

                    var merged = JsonMergePatch.Apply(planned.Exists ? planned.Utf8Json : null, write.Utf8Json!);
                    var (maxBytes, maxDepth) = _limits.ValueLimitsFor(write.Scope);
                    JsonValueCodec.Validate(merged, maxBytes, maxDepth, write.Scope, write.Key);
                    SetPlanned(planned, write, merged, StateChangeKind.Merged, version);
                    break;
                case StateOperationKind.Delete:
                    PlanDelete(planned);
                    break;
                case StateOperationKind.Check:
                    break;
                default:
                    throw new InvalidOperationException($"Operation {write.Kind} cannot be part of a commit.");
            }
        }

        return plan;
    }

    private static void PlanDelete(PlannedKey planned)
    {
        if (planned.Exists)
        {
            planned.Exists = false;
            planned.Utf8Json = null;
            planned.Version = 0;
            // Deleting a key this batch created leaves nothing to change.
            planned.Changed = planned.Original is not null;
            planned.ChangeKind = StateChangeKind.Deleted;
        }
    }

    /// <summary>Plans the delete of every live key of <paramref name="scope"/> itself (its child scopes keep theirs).</summary>
    private void PlanClearLocked(StateScope scope, List<PlannedKey> plan, Dictionary<StateKey, PlannedKey> byKey, long now)
    {
        if (FindNode(scope) is not { } node)
        {
            return;
        }

        foreach (var entry in node.Entries)
        {
            var key = entry.Key;
            if (entry.IsExpired(now))
            {
                continue;
            }

            var stateKey = new StateKey(scope, key);
            if (!byKey.TryGetValue(stateKey, out var planned))
            {
                planned = new PlannedKey(scope, key, entry);
                plan.Add(planned);
                byKey.Add(stateKey, planned);
            }

            PlanDelete(planned);
        }
    }

    /// <summary>
    /// Replaces the keys of <paramref name="scope"/> itself with <paramref name="fields"/> in one commit: every other
    /// key of the scope is deleted, decided under the write lock, so none written meanwhile survives.
    /// </summary>
    internal ValueTask<CommitResult> ReplaceScopeKeysAsync(StateScope scope, IReadOnlyDictionary<string, byte[]> fields, CancellationToken cancellationToken)
    {
        var writes = new PreparedWrite[fields.Count + 1];
        writes[0] = new PreparedWrite(StateOperationKind.Clear, scope, string.Empty, null, null, inheritTimeToLive: false);
        var i = 1;
        foreach (var (key, value) in fields)
        {
            writes[i++] = new PreparedWrite(StateOperationKind.Set, scope, key, value, null, inheritTimeToLive: false);
        }

        return CommitAsync(writes, cancellationToken);
    }

    private void SetPlanned(PlannedKey planned, PreparedWrite write, byte[] json, StateChangeKind kind, long version)
    {
        var ttl = write.Options?.TimeToLive;
        if (ttl is { } t && t <= TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(write), t, $"The time to live for key '{write.Key}' must be positive (or Timeout.InfiniteTimeSpan for none).");
        }

        if (ttl is not null)
        {
            planned.TimeToLiveTicks = ttl == Timeout.InfiniteTimeSpan ? 0 : ttl.Value.Ticks;
            planned.Sliding = write.Options!.SlidingExpiration && planned.TimeToLiveTicks != 0;
        }
        else if (!(write.InheritTimeToLive && planned.Exists))
        {
            var fallback = _options.DefaultTimeToLive;
            planned.TimeToLiveTicks = fallback is null || fallback == Timeout.InfiniteTimeSpan ? 0 : fallback.Value.Ticks;
            planned.Sliding = (write.Options?.SlidingExpiration ?? false) && planned.TimeToLiveTicks != 0;
        }

        planned.Exists = true;
        planned.Utf8Json = json;
        planned.Version = version;
        planned.Changed = true;
        planned.ChangeKind = kind;
    }

    private void CheckLimitsLocked(List<PlannedKey> plan)
    {
        Dictionary<StateScope, (long Entries, long Bytes)>? deltas = null;
        long newEntries = 0, newBytes = 0;
        foreach (var planned in plan)
        {
            if (!planned.Changed)
            {
                continue;
            }

            var newSize = planned.NewSize;
            var entries = (planned.Exists ? 1 : 0) - (planned.Original is null ? 0 : 1);
            var bytes = newSize - (planned.Original?.Size ?? 0);
            if (planned.Exists)
            {
                newEntries++;
                newBytes += newSize;
            }

            for (var scope = planned.Scope; scope is not null; scope = scope.Parent)
            {
                if (_limits.Of(scope) is { } limits && (limits.MaxKeys is not null || limits.MaxTotalBytes is not null))
                {
                    deltas ??= [];
                    var d = deltas.GetValueOrDefault(scope);
                    deltas[scope] = (d.Entries + entries, d.Bytes + bytes);
                }
            }
        }

        // A store that pages values out holds more than its bound in its backend; over it, values leave memory.
        if (_resident is null && _options.MaxEntries is { } maxEntries && newEntries > maxEntries)
        {
            throw new StateLimitExceededException($"The write stores {newEntries} entries but the whole store holds at most {maxEntries} (StateStoreOptions.MaxEntries); split it.")
            {
                Limit = "MaxEntries",
                LimitValue = maxEntries,
                AttemptedValue = newEntries,
            };
        }

        if (_resident is null && _options.MaxBytes is { } maxBytes && newBytes > maxBytes)
        {
            throw new StateLimitExceededException($"The write stores {newBytes} bytes but the whole store holds at most {maxBytes} (StateStoreOptions.MaxBytes); split it or raise the limit.")
            {
                Limit = "MaxBytes",
                LimitValue = maxBytes,
                AttemptedValue = newBytes,
            };
        }

        if (deltas is null)
        {
            return;
        }

        foreach (var (scope, delta) in deltas)
        {
            var limits = _limits.Of(scope)!;
            var node = FindNode(scope);
            var entries = node?.SubtreeEntries ?? 0;
            var bytes = node?.SubtreeBytes ?? 0;
            if (delta.Entries > 0 && limits.MaxKeys is { } maxKeys && entries + delta.Entries > maxKeys)
            {
                throw new StateLimitExceededException(
                    $"Scope '{scope}' holds {entries} keys and the write adds {delta.Entries}; its limit is {maxKeys} keys (StateLimits.MaxKeys, child scopes included). Delete keys or raise the limit.")
                {
                    Limit = "MaxKeys",
                    LimitValue = maxKeys,
                    AttemptedValue = entries + delta.Entries,
                    Scope = scope,
                };
            }

            if (delta.Bytes > 0 && limits.MaxTotalBytes is { } maxTotal && bytes + delta.Bytes > maxTotal)
            {
                throw new StateLimitExceededException(
                    $"Scope '{scope}' holds {bytes} bytes and the write adds {delta.Bytes}; its limit is {maxTotal} bytes (StateLimits.MaxTotalBytes, child scopes included). Delete keys or raise the limit.")
                {
                    Limit = "MaxTotalBytes",
                    LimitValue = maxTotal,
                    AttemptedValue = bytes + delta.Bytes,
                    Scope = scope,
                };
            }
        }
    }

    private void WriteEntryLocked(PlannedKey planned, long version, long now, ref PendingEvictions? evictions) =>
        WriteEntryLocked(_tree.GetOrCreateLocked(planned.Scope), planned.Key, planned.KeyBytes, planned.Utf8Json!, planned.TimeToLiveTicks, planned.Sliding, planned.Original, planned.ChangeKind, version, now, ref evictions);

    private void WriteEntryLocked(
        ScopeNode node, string key, int keyBytes, byte[] utf8Json, long timeToLiveTicks, bool sliding, StateEntry? original, StateChangeKind changeKind, long version, long now, ref PendingEvictions? evictions)
    {
        var expiresAt = timeToLiveTicks == 0 ? 0 : now + timeToLiveTicks;
        var entry = new StateEntry(node, key, keyBytes, utf8Json, version, expiresAt, timeToLiveTicks, sliding);
        if (_bounded)
        {
            _recency.StampMostRecentLocked(entry);
        }

        if (expiresAt != 0)
        {
            _expiry.Add(entry);
        }

        node.Entries.Set(entry);
        _undurable?.EntryReplaced(version, node.Scope, key, original, _commits!.AppliedVersion);
        _resident?.Adjust(original, -1);
        _resident?.Adjust(entry, 1);
        RecordUpsertLocked(entry);
        RecordHistoryLocked(node.Scope, key, version, now, entry.Utf8Json);
        ScopeTree.AdjustCountersLocked(node, original is null ? 1 : 0, entry.Size - (original?.Size ?? 0));
        if (original is not null)
        {
            AddEviction(ref evictions, original, EvictionReason.Replaced);
        }

        _watch.PublishLocked(node, key, changeKind, version, entry.Utf8Json, original);
    }

    private void RemoveEntryLocked(StateEntry entry, EvictionReason reason, StateChangeKind kind, long version, ref PendingEvictions? evictions)
    {
        var node = entry.Node();
        if (!node.Entries.TryRemove(entry))
        {
            return;
        }

        _undurable?.EntryReplaced(version, node.Scope, entry.Key, entry, _commits!.AppliedVersion);
        ScopeTree.AdjustCountersLocked(node, -1, -entry.Size);
        _resident?.Adjust(entry, -1);
        RecordDeleteLocked(entry);
        if (_history.IsKept)
        {
            RecordHistoryLocked(node.Scope, entry.Key, version, NowTicks(), null);
        }

        _tree.CountRemovalLocked(node, reason);

        AddEviction(ref evictions, entry, reason);
        _watch.PublishLocked(node, entry.Key, kind, version, ReadOnlyMemory<byte>.Empty, entry);
        ScopeTree.PruneLocked(node);
    }

    private void AddEviction(ref PendingEvictions? evictions, StateEntry entry, EvictionReason reason)
    {
        if (_options.OnEvicted is null)
        {
            return;
        }

        evictions ??= [];
        if (entry.ResidentUtf8Json is { } value)
        {
            evictions.Add(new StateEviction(entry.Scope, entry.Key, value, entry.Version, reason));
        }
        else
        {
            if (evictions.AddPagedOut(entry, reason) is { } newGate)
            {
                (_evictionGates ??= []).Add(newGate);
            }
        }
    }

    private (CommitResult Result, Task? Durable) ClearCore(ScopeClear clear, CommitMode durability)
    {
        PendingEvictions? evictions = null;
        long removed = 0;
        Task? durable;
        try
        {
            lock (_writeLock)
            {
                ThrowIfDisposed();
                _commits?.ThrowIfFaulted();
                ThrowIfReadOnlyLocked();
                PurgeExpiredLocked(NowTicks(), ref evictions);
                var node = FindNode(clear.Scope);
                if (node is null || (clear.IncludesChildScopes ? node.SubtreeEntries == 0 : node.Entries.IsEmpty))
                {
                    WriteBehindLocked();
                    return (new CommitResult(_version, 0), null);
                }

                var entries = new List<StateEntry>();
                if (clear.IncludesChildScopes)
                {
                    ScopeTree.CollectEntriesLocked(node, entries);
                }
                else
                {
                    entries.AddRange(node.Entries);
                }

                var version = _version + 1;
                Volatile.Write(ref _version, version);
                Interlocked.Increment(ref _batchSequence);
                try
                {
                    foreach (var entry in entries)
                    {
                        RemoveEntryLocked(entry, EvictionReason.Deleted, StateChangeKind.Deleted, version, ref evictions);
                        removed++;
                    }
                }
                finally
                {
                    Interlocked.Increment(ref _batchSequence);
                }

                CompactQueuesLocked();
                durable = QueueChangesLocked(durability);
            }
        }
        finally
        {
            NotifyEvicted(evictions);
        }

        return (new CommitResult(_version, removed), durable);
    }

    private int PurgeExpiredLocked(long now, ref PendingEvictions? evictions)
    {
        var purged = 0;
        while (_expiry.TryTakeExpired(now, out var entry))
        {
            RemoveEntryLocked(entry, EvictionReason.Expired, StateChangeKind.Expired, entry.Version, ref evictions);
            purged++;
        }

        return purged;
    }

    private void EvictForCapacityLocked(long version, ref PendingEvictions? evictions)
    {
        List<StateEntry>? justWritten = null;
        while (OverCapacityLocked() && _recency.TryTakeLeastRecentLocked(out var entry))
        {
            if (entry.Version == version)
            {
                (justWritten ??= []).Add(entry);
                continue;
            }

            if (_resident is not null && entry.Version > _commits!.AppliedVersion)
            {
                // Not in the backend yet, so its value could not be read back; newer ones mostly are not either. A later
                // commit pages them out.
                (justWritten ??= []).Add(entry);
                break;
            }

            if (_resident is not null)
            {
                PageOutLocked(entry);
                continue;
            }

            RemoveEntryLocked(entry, EvictionReason.Capacity, StateChangeKind.Evicted, entry.Version, ref evictions);
        }

        if (justWritten is not null)
        {
            foreach (var entry in justWritten)
            {
                _recency.RequeueLocked(entry);
            }
        }
    }

    /// <summary>Drops queue slots of replaced and deleted entries once they outnumber the live ones.</summary>
    private void CompactQueuesLocked()
    {
        var live = _tree.Root.SubtreeEntries;
        var compactRecency = _recency.NeedsCompaction(live);
        var compactExpiry = _expiry.NeedsCompaction(live);
        if (!compactRecency && !compactExpiry)
        {
            return;
        }

        var entries = _tree.AllEntriesLocked();
        if (compactRecency)
        {
            _recency.RebuildLocked(entries);
        }

        if (compactExpiry)
        {
            _expiry.RebuildLocked(entries);
        }
    }
}
