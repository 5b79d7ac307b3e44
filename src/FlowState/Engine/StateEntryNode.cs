namespace FlowState;

/// <summary>The engine's side of <see cref="IStateEntryOwner"/>: the node an entry of the store's tree lives in.</summary>
internal static class StateEntryNode
{
    public static ScopeNode Node(this StateEntry entry) => entry.Owner as ScopeNode
        ?? throw new InvalidOperationException($"The entry of key '{entry.Key}' belongs to no store's tree (a staged write or a shared store's read).");

    /// <summary>Whether the entry is still the one its key holds (not replaced, deleted or expired out of the tree).</summary>
    public static bool IsCurrent(this StateEntry entry) =>
        entry.Node().Entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry);
}
