using System.Collections.Concurrent;

namespace FlowState;

/// <summary>
/// One scope in the engine's tree: its own entries, its child scopes, subtree counters and watchers.
/// Entries and children are read without locks; every change happens under the store's write lock.
/// </summary>
internal sealed class ScopeNode(StateScope scope, ScopeNode? parent) : IStateEntryOwner
{
    public StateScope Scope { get; } = scope;

    public ScopeNode? Parent { get; } = parent;

    public EntryTable Entries { get; } = new();

    public ConcurrentDictionary<(ScopeSegmentKind Kind, string Name), ScopeNode>? Children { get; set; }

    /// <summary>Set when the node was removed from the tree; views holding it look the scope up again.</summary>
    public volatile bool Detached;

    public StripedAccessCounter Access { get; } = new();

    public long SubtreeEntries { get; set; }

    public long SubtreeBytes { get; set; }

    public long Evictions { get; set; }

    public long Expirations { get; set; }

    // One shared record until a child is pruned: hundreds of thousands of scope nodes need not each carry a zero.
    private static readonly StateStatistics NoneRetired = new(0, 0, 0, 0, 0, 0);

    /// <summary>Counters of pruned child nodes, kept so that subtree statistics stay whole.</summary>
    public StateStatistics Retired { get; set; } = NoneRetired;

    public WatchSubscription[] Watchers { get; set; } = [];

    public bool IsPrunable => Parent is not null && Entries.IsEmpty && (Children is null || Children.IsEmpty) && Watchers.Length == 0;
}
