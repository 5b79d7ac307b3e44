namespace FlowState;

/// <summary>
/// What each change not yet in the backend replaced, in commit order, so that a backend failure can put memory back
/// as the backend still holds it (readers must never go on seeing a value that was never stored). Records leave once
/// the group commit has written their version. Under the store's write lock only.
/// </summary>
internal sealed class UndurableChanges
{
    private readonly Queue<Change> _changes = new();

    public enum Kind
    {
        /// <summary>An entry was written or removed; <see cref="Change.Previous"/> is what the key held (null: absent).</summary>
        Entry,

        /// <summary>A history record was appended.</summary>
        HistoryAdded,

        /// <summary>The oldest history record was dropped past the history depth.</summary>
        HistoryDropped,
    }

    public int Count => _changes.Count;

    public void EntryReplaced(long version, StateScope scope, string key, StateEntry? previous, long appliedVersion)
    {
        Trim(appliedVersion);
        _changes.Enqueue(new Change(Kind.Entry, version, scope, key, previous, null));
    }

    public void HistoryChanged(Kind kind, long version, StateScope scope, string key, StateHistoryEntry record, long appliedVersion)
    {
        Trim(appliedVersion);
        _changes.Enqueue(new Change(kind, version, scope, key, null, record));
    }

    /// <summary>
    /// Takes every change newer than <paramref name="appliedVersion"/>, newest first (the order to undo them in), and
    /// forgets the rest. An expiry purge is recorded at its entry's own version, so a purge of an entry already in the
    /// backend is not undone: the entry had expired either way.
    /// </summary>
    public List<Change> TakeNewerThan(long appliedVersion)
    {
        var newer = new List<Change>(_changes.Count);
        foreach (var change in _changes)
        {
            if (change.Version > appliedVersion)
            {
                newer.Add(change);
            }
        }

        _changes.Clear();
        newer.Reverse();
        return newer;
    }

    private void Trim(long appliedVersion)
    {
        while (_changes.TryPeek(out var oldest) && oldest.Version <= appliedVersion)
        {
            _changes.Dequeue();
        }
    }

    public readonly record struct Change(Kind Kind, long Version, StateScope Scope, string Key, StateEntry? Previous, StateHistoryEntry? History);
}
