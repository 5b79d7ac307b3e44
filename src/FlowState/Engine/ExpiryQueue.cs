namespace FlowState;

/// <summary>
/// Entries with a time to live, by the time they expire: a heap in which slots of replaced entries are skipped and a
/// sliding entry read since it was queued is queued again for its new time.
/// </summary>
/// <remarks>
/// Invariants: every live entry with an expiry has a slot at or before its <see cref="StateEntry.ExpiresAtTicks"/>.
/// Lock: the store's write lock, for every call.
/// </remarks>
internal sealed class ExpiryQueue
{
    private readonly PriorityQueue<StateEntry, long> _queue = new();

    /// <summary>Whether no entry has a slot (then nothing can expire).</summary>
    public bool IsEmpty => _queue.Count == 0;

    /// <summary>Queues an entry that has an expiry.</summary>
    public void Add(StateEntry entry) => _queue.Enqueue(entry, entry.ExpiresAtTicks);

    /// <summary>Takes out the next entry still in the store whose time to live passed at <paramref name="now"/>; false when there is none.</summary>
    public bool TryTakeExpired(long now, out StateEntry entry)
    {
        while (_queue.TryPeek(out entry!, out var at) && at <= now)
        {
            _queue.Dequeue();
            if (!entry.IsCurrent())
            {
                continue;
            }

            var expiresAt = entry.ExpiresAtTicks;
            if (expiresAt > now)
            {
                // A sliding entry was read since it was queued.
                _queue.Enqueue(entry, expiresAt);
                continue;
            }

            return true;
        }

        return false;
    }

    /// <summary>Whether slots of replaced and deleted entries outnumber the <paramref name="live"/> ones.</summary>
    public bool NeedsCompaction(long live) => _queue.Count > (2 * live) + 1024;

    /// <summary>Rebuilds the heap from the store's entries, dropping slots of entries gone.</summary>
    public void RebuildLocked(List<StateEntry> entries)
    {
        _queue.Clear();
        foreach (var entry in entries)
        {
            if (entry.ExpiresAtTicks != 0)
            {
                _queue.Enqueue(entry, entry.ExpiresAtTicks);
            }
        }
    }
}
