using System.Runtime.CompilerServices;

namespace FlowState;

/// <summary>
/// The engine's tree of scopes and its accounting: nodes are created on a scope's first write or watcher and pruned
/// when they hold nothing; every node counts the entries and bytes of its subtree; the whole store's evictions and
/// expirations are kept as totals.
/// </summary>
/// <remarks>
/// Invariants: a node's <see cref="ScopeNode.SubtreeEntries"/> and <see cref="ScopeNode.SubtreeBytes"/> are the sums
/// over its entries and its children's; a pruned node's counters live on in its parent's <see cref="ScopeNode.Retired"/>.
/// Lock: every change is made under the store's write lock (methods named <c>…Locked</c>); <see cref="Find"/> and the
/// listings read without it, as reads do (a node detached meanwhile says so).
/// </remarks>
internal sealed class ScopeTree
{
    private long _evictions;
    private long _expirations;
    private long _absentScopeMisses;

    /// <summary>The global scope's node, never pruned.</summary>
    public ScopeNode Root { get; } = new(StateScope.Global, null);

    /// <summary>Entries removed for capacity in the whole store (under the write lock).</summary>
    public long Evictions => _evictions;

    /// <summary>Entries removed because their time to live passed, in the whole store (under the write lock).</summary>
    public long Expirations => _expirations;

    /// <summary>Misses of reads in scopes that hold nothing (they have no node to count on).</summary>
    public long AbsentScopeMisses => Volatile.Read(ref _absentScopeMisses);

    /// <summary>The node of <paramref name="scope"/>, or null when the scope holds nothing. Without a lock.</summary>
    public ScopeNode? Find(StateScope scope)
    {
        if (scope.IsGlobal)
        {
            return Root;
        }

        var parent = Find(scope.Parent!);
        if (parent?.Children is null)
        {
            return null;
        }

        return parent.Children.TryGetValue((scope.Kind, scope.Name), out var node) ? node : null;
    }

    public ScopeNode GetOrCreateLocked(StateScope scope)
    {
        if (scope.IsGlobal)
        {
            return Root;
        }

        var parent = GetOrCreateLocked(scope.Parent!);
        // Changed under the write lock only (one lock is enough) and most scopes have a child or two: a default
        // dictionary (31 buckets, a lock per core) made every scope heavier and every walk of the tree slower.
        parent.Children ??= new(concurrencyLevel: 1, capacity: 1);
        var segment = (scope.Kind, scope.Name);
        if (!parent.Children.TryGetValue(segment, out var node))
        {
            node = new ScopeNode(scope, parent);
            parent.Children[segment] = node;
        }

        return node;
    }

    /// <summary>Removes empty scopes from the tree (so finished runs leave nothing behind), keeping their counters in the parent.</summary>
    public static void PruneLocked(ScopeNode node)
    {
        while (node.IsPrunable)
        {
            var parent = node.Parent!;
            parent.Children!.TryRemove((node.Scope.Kind, node.Scope.Name), out _);
            node.Detached = true;
            parent.Retired = parent.Retired with
            {
                Hits = parent.Retired.Hits + node.Retired.Hits + node.Access.Hits,
                Misses = parent.Retired.Misses + node.Retired.Misses + node.Access.Misses,
                Evictions = parent.Retired.Evictions + node.Retired.Evictions + node.Evictions,
                Expirations = parent.Retired.Expirations + node.Retired.Expirations + node.Expirations,
            };
            node = parent;
        }
    }

    public static void AdjustCountersLocked(ScopeNode node, long entries, long bytes)
    {
        for (var n = node; n is not null; n = n.Parent)
        {
            n.SubtreeEntries += entries;
            n.SubtreeBytes += bytes;
        }
    }

    /// <summary>Counts an entry of <paramref name="node"/> removed for <paramref name="reason"/> (expiry and capacity are counted).</summary>
    public void CountRemovalLocked(ScopeNode node, EvictionReason reason)
    {
        if (reason == EvictionReason.Expired)
        {
            node.Expirations++;
            _expirations++;
        }
        else if (reason == EvictionReason.Capacity)
        {
            node.Evictions++;
            _evictions++;
        }
    }

    public void CountAbsentScopeMiss() => Interlocked.Increment(ref _absentScopeMisses);

    public static void CollectEntriesLocked(ScopeNode node, List<StateEntry> into)
    {
        into.AddRange(node.Entries);
        if (node.Children is not null)
        {
            foreach (var child in node.Children.Values)
            {
                CollectEntriesLocked(child, into);
            }
        }
    }

    /// <summary>Every entry of the store, under the write lock.</summary>
    public List<StateEntry> AllEntriesLocked()
    {
        var entries = new List<StateEntry>((int)Root.SubtreeEntries);
        CollectEntriesLocked(Root, entries);
        return entries;
    }

    /// <summary>The child scopes of <paramref name="node"/> that hold entries, in no particular order. Without a lock.</summary>
    public static List<StateScopeSummary> ListChildren(ScopeNode node)
    {
        if (node.Children is not { } children)
        {
            return [];
        }

        var result = new List<StateScopeSummary>(children.Count);
        foreach (var child in children.Values)
        {
            // Children are read without the lock (as reads are); a child detached meanwhile is gone from the tree.
            if (!child.Detached && child.SubtreeEntries > 0)
            {
                result.Add(new StateScopeSummary(child.Scope, child.SubtreeEntries, child.SubtreeBytes));
            }
        }

        return result;
    }

    /// <summary>
    /// The page [<paramref name="offset"/>, offset + <paramref name="limit"/>) of the child scopes of
    /// <paramref name="node"/> that hold entries, in path order; how many there are; and their entries. Without a lock.
    /// </summary>
    // Fully optimized from the first call (as the collector and the order): it loops over every child, and tiered
    // compilation left the first tens of calls (what a person browsing sees first) about twice as slow.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (List<StateScopeSummary> Page, int Total, long Entries) PageChildren(ScopeNode node, int offset, int limit)
    {
        if (node.Children is not { } children)
        {
            return ([], 0, 0);
        }

        // The children go through the heap as they are enumerated: no list of 100,000 of them (a large-object
        // allocation per call, and in time a full collection of a heap that holds the whole store).
        var kept = new TopOrderedCollector<(ScopeSegmentKind Kind, string Name, ScopeNode Node)>((long)offset + limit, ChildPathOrder.Instance);
        var total = 0;
        long entries = 0;
        foreach (var ((kind, name), child) in children)
        {
            // Children are read without the lock (as reads are); a child detached meanwhile is gone from the tree.
            if (!child.Detached && child.SubtreeEntries is var count and > 0)
            {
                total++;
                entries += count;
                kept.Add((kind, name, child));
            }
        }

        var page = kept.Result().Skip(offset)
            .Select(static child => new StateScopeSummary(child.Node.Scope, child.Node.SubtreeEntries, child.Node.SubtreeBytes)).ToList();
        return (page, total, entries);
    }

    /// <summary>
    /// Hits, misses, evictions and expirations of <paramref name="root"/>'s subtree, pruned scopes included, in one
    /// pass without the lock (entries and bytes are left 0: the caller reads them exactly under the lock).
    /// </summary>
    // One pass adding plain longs: a store of 100,000 runs has hundreds of thousands of scope nodes, and a record per
    // node (and the children's Values, a locked snapshot copy per node) made this three times slower.
    public static StateStatistics SumAccess(ScopeNode root)
    {
        long hits = 0, misses = 0, evictions = 0, expirations = 0;
        var pending = new Stack<ScopeNode>();
        pending.Push(root);
        while (pending.TryPop(out var node))
        {
            var retired = node.Retired;
            var access = node.Access.Counts();
            hits += retired.Hits + access.Hits;
            misses += retired.Misses + access.Misses;
            evictions += retired.Evictions + node.Evictions;
            expirations += retired.Expirations + node.Expirations;
            if (node.Children is { } children)
            {
                foreach (var child in children)
                {
                    pending.Push(child.Value);
                }
            }
        }

        return new StateStatistics(0, 0, hits, misses, evictions, expirations);
    }
}
