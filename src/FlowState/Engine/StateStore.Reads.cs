using System.Runtime.CompilerServices;

namespace FlowState;

public sealed partial class StateStore
{
    // The seqlock re-check must not be satisfied before the dictionary read. x86/x64 never reorder loads with
    // loads and the JIT does not move loads across a volatile read; weaker CPUs (Arm) need a fence.
    private static readonly bool NeedsLoadFence =
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is not
            (System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.X86);

    /// <summary>The read fast path: one dictionary lookup, no lock unless a multi-key change is in flight.</summary>
    internal StateEntry? Read(ScopeNode? node, string key)
    {
        // The clock is read only while someone listens to the read-latency histogram.
        if (_instruments.ReadDuration.Enabled)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var read = ReadUnmeasured(node, key);
            _instruments.RecordRead(Name, started, fromBackend: false);
            return read;
        }

        return ReadUnmeasured(node, key);
    }

    private StateEntry? ReadUnmeasured(ScopeNode? node, string key)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key), "The key is null; use a non-empty string.");
        }

        if (node is null)
        {
            return MissInAbsentScope(key);
        }

        StateEntry? entry;
        var sequence = Volatile.Read(ref _batchSequence);
        if ((sequence & 1) == 0)
        {
            node.Entries.TryGetValue(key, out entry);
            if (NeedsLoadFence)
            {
                Interlocked.MemoryBarrier();
            }

            if (Volatile.Read(ref _batchSequence) != sequence)
            {
                entry = ReadLocked(node, key);
            }
        }
        else
        {
            entry = ReadLocked(node, key);
        }

        if (entry is null)
        {
            return Miss(node, key);
        }

        var expiresAt = entry.ExpiresAtTicks;
        if (expiresAt != 0 && (entry.Sliding || _coarseClock is null || _coarseClock.UpperBoundUtcTicks() >= expiresAt))
        {
            // Near (or past) expiry, sliding, or a non-system clock: ask the real clock.
            var now = NowTicks();
            if (entry.IsExpired(now))
            {
                return Miss(node, key);
            }

            if (entry.Sliding)
            {
                entry.Slide(now);
                _renewals?.Renewed(entry);
            }
        }

        if (_bounded)
        {
            _recency.StampRead(entry);
        }

        if (_trackAccess)
        {
            node.Access.Hit();
        }

        return entry;
    }

    internal IReadOnlyList<string> ListKeys(StateScope scope, string? prefix)
    {
        lock (_writeLock)
        {
            var node = FindNode(scope);
            if (node is null)
            {
                return [];
            }

            var now = NowTicks();
            var keys = new List<string>(node.Entries.Count);
            foreach (var entry in node.Entries)
            {
                var key = entry.Key;
                if (!entry.IsExpired(now) && (prefix is null || key.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    keys.Add(key);
                }
            }

            keys.Sort(StringComparer.Ordinal);
            return keys;
        }
    }

    internal IReadOnlyList<StateKey> ListAll(StateScope scope, string? prefix)
    {
        var result = new List<(string ScopeKey, StateKey Key)>();
        lock (_writeLock)
        {
            var node = FindNode(scope);
            if (node is not null)
            {
                CollectLocked(node, prefix, NowTicks(), result);
            }
        }

        result.Sort(static (a, b) => StorageNameOrder.Compare(a.ScopeKey, a.Key.Key, b.ScopeKey, b.Key.Key));
        return result.ConvertAll(static r => r.Key);
    }

    internal long Count(StateScope scope)
    {
        PendingEvictions? evictions = null;
        long count;
        try
        {
            lock (_writeLock)
            {
                PurgeExpiredLocked(NowTicks(), ref evictions);
                WriteBehindLocked();
                count = FindNode(scope)?.SubtreeEntries ?? 0;
            }
        }
        finally
        {
            NotifyEvicted(evictions);
        }

        return count;
    }

    private static void CollectLocked(ScopeNode node, string? prefix, long now, List<(string, StateKey)> into)
    {
        foreach (var entry in node.Entries)
        {
            var key = entry.Key;
            if (!entry.IsExpired(now) && (prefix is null || key.StartsWith(prefix, StringComparison.Ordinal)))
            {
                into.Add((node.Scope.StorageKey, new StateKey(node.Scope, key)));
            }
        }

        if (node.Children is not null)
        {
            foreach (var child in node.Children.Values)
            {
                CollectLocked(child, prefix, now, into);
            }
        }
    }

    private StateEntry? ReadLocked(ScopeNode node, string key)
    {
        lock (_writeLock)
        {
            return node.Entries.TryGetValue(key, out var entry) ? entry : null;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private StateEntry? Miss(ScopeNode node, string key)
    {
        StateNameValidator.ValidateKey(key);
        if (_trackAccess)
        {
            node.Access.Miss();
        }

        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private StateEntry? MissInAbsentScope(string key)
    {
        StateNameValidator.ValidateKey(key);
        if (_trackAccess)
        {
            _tree.CountAbsentScopeMiss();
        }

        return null;
    }
}
