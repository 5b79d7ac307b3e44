namespace FlowState;

/// <summary>
/// The least-recently-used order of a bounded store's resident entries, without a linked list: a heap of access
/// stamps (the write epoch in the high half, a per-thread read counter in the low half) in which an entry read since
/// it was queued is queued again when it reaches the front, and slots of replaced entries are skipped.
/// </summary>
/// <remarks>
/// Invariants: every resident entry has a slot whose stamp is at most its <see cref="StateEntry.AccessStamp"/>; the
/// epoch only grows. Lock: the heap and the epoch change under the store's write lock (methods named <c>…Locked</c>);
/// <see cref="StampRead"/> runs on reads, without it, and writes only the entry's stamp.
/// </remarks>
internal sealed class RecencyQueue
{
    [ThreadStatic]
    private static long t_readCounter;

    private readonly PriorityQueue<StateEntry, long> _queue = new();
    private long _epoch;

    /// <summary>Slots in the heap, live or not.</summary>
    public int Count => _queue.Count;

    /// <summary>
    /// Stamps a read: an entry already read in the current epoch keeps its stamp, so within one epoch (between two
    /// writes) an entry's place is its first read there, and reads of different threads are ordered arbitrarily. A
    /// write's own stamp (low half 0) is not a read, so the first read after it still moves the entry behind everything
    /// read before. Rewriting the stamp on every read made each read a write to the entry, which other cores reading
    /// the same keys then missed in their caches: a two-thread bounded read cost 2.6x BitFaster's TLru.
    /// </summary>
    public void StampRead(StateEntry entry)
    {
        var epoch = Volatile.Read(ref _epoch);
        var stamp = entry.AccessStamp;
        if ((ulong)stamp >> 32 != (ulong)epoch || (uint)stamp == 0)
        {
            entry.AccessStamp = (epoch << 32) | (uint)++t_readCounter;
        }
    }

    /// <summary>Makes an entry the most recently used (a new write epoch orders it after every read before).</summary>
    public void StampMostRecentLocked(StateEntry entry)
    {
        var stamp = ++_epoch << 32;
        entry.AccessStamp = stamp;
        _queue.Enqueue(entry, stamp);
    }

    /// <summary>Takes the least recently used entry still in the store out of the queue; false when there is none.</summary>
    public bool TryTakeLeastRecentLocked(out StateEntry entry)
    {
        while (_queue.TryDequeue(out entry!, out var stamp))
        {
            if (!entry.IsCurrent())
            {
                continue;
            }

            var accessed = entry.AccessStamp;
            if (accessed != stamp)
            {
                // Read since it was queued: it is younger than its place in the queue says.
                _queue.Enqueue(entry, accessed);
                continue;
            }

            return true;
        }

        return false;
    }

    /// <summary>Puts back an entry taken with <see cref="TryTakeLeastRecentLocked"/> that stays in memory.</summary>
    public void RequeueLocked(StateEntry entry) => _queue.Enqueue(entry, entry.AccessStamp);

    /// <summary>Whether slots of replaced and deleted entries outnumber the <paramref name="live"/> ones.</summary>
    public bool NeedsCompaction(long live) => _queue.Count > (2 * live) + 1024;

    /// <summary>Rebuilds the heap from the store's entries, dropping slots of entries gone.</summary>
    public void RebuildLocked(List<StateEntry> entries)
    {
        _queue.Clear();
        foreach (var entry in entries)
        {
            if (entry.IsResident)
            {
                _queue.Enqueue(entry, entry.AccessStamp);
            }
        }
    }
}
