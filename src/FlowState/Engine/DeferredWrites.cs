namespace FlowState;

/// <summary>
/// The keys that commits made in memory only (a flow run at <c>FlowRunDurability.Exit</c>): the backend does not have
/// their changes until <see cref="StateStore.FlushDeferredAsync"/> writes each key's current state. Guarded by the
/// store's write lock: commits note keys and the flush takes them under it.
/// </summary>
internal sealed class DeferredWrites
{
    private HashSet<(string ScopeKey, string Key)> _keys = [];

    /// <summary>Notes the keys of <paramref name="changes"/> (under the store's write lock).</summary>
    public void NoteLocked(List<BackendChange> changes)
    {
        foreach (var change in changes)
        {
            _keys.Add((change.ScopeKey, change.Key));
        }
    }

    /// <summary>The keys noted so far, and a fresh set for what follows (under the store's write lock).</summary>
    public HashSet<(string ScopeKey, string Key)> TakeLocked()
    {
        var keys = _keys;
        _keys = [];
        return keys;
    }
}
