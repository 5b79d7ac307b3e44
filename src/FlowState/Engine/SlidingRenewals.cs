using System.Collections.Concurrent;

namespace FlowState;

/// <summary>
/// The sliding entries whose deadlines reads moved since they were last saved to the backend. A read queues an entry
/// only on its first renewal since the last save (the entry's pending flag), so a hot key costs one queue slot per save
/// interval, not one per read; the store drains the queue under its write lock.
/// </summary>
internal sealed class SlidingRenewals(long saveIntervalTicks, long openedAtTicks)
{
    private readonly ConcurrentQueue<StateEntry> _queue = new();

    // Read and written under the store's write lock only.
    private long _savedAtTicks = openedAtTicks;

    /// <summary>Called by a read after it moved <paramref name="entry"/>'s deadline; lock-free.</summary>
    public void Renewed(StateEntry entry)
    {
        if (entry.MarkRenewalPending())
        {
            _queue.Enqueue(entry);
        }
    }

    /// <summary>Whether renewals wait and the last save is at least a save interval ago (under the write lock).</summary>
    public bool IsDue(long nowTicks) => !_queue.IsEmpty && nowTicks - _savedAtTicks >= saveIntervalTicks;

    /// <summary>Takes every queued entry and notes the save's time (under the write lock).</summary>
    public List<StateEntry> TakeAll(long nowTicks)
    {
        _savedAtTicks = nowTicks;
        var taken = new List<StateEntry>(_queue.Count);
        while (_queue.TryDequeue(out var entry))
        {
            taken.Add(entry);
        }

        return taken;
    }

    /// <summary>Puts back an entry whose renewal could not be saved yet (its value is being read back).</summary>
    public void Requeue(StateEntry entry) => _queue.Enqueue(entry);
}
