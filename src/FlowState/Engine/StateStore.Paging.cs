namespace FlowState;

// A bounded store with a backend pages values out instead of evicting entries: over MaxEntries/MaxBytes the least
// recently used values leave memory (keys, versions and expiry stay, so listing, counting, limits and version checks
// are unchanged) and are read back through the backend on the next read.
public sealed partial class StateStore
{
    // Null unless the store pages values out.
    private readonly ResidentSet? _resident;

    /// <summary>Values in memory and how often values left memory and were read back (bounded stores with a backend).</summary>
    public PagingStatistics PagingStatistics
    {
        get
        {
            lock (_writeLock)
            {
                return _resident?.Statistics() ?? new PagingStatistics(_tree.Root.SubtreeEntries, _tree.Root.SubtreeBytes, 0, 0);
            }
        }
    }

    private bool OverCapacityLocked() => _resident?.IsOverCapacity
        ?? (_tree.Root.SubtreeEntries > (_options.MaxEntries ?? long.MaxValue) || _tree.Root.SubtreeBytes > (_options.MaxBytes ?? long.MaxValue));

    /// <summary>A read's entry as the caller may hand it out: as it is, or read back from the backend when paged out.</summary>
    internal ValueTask<StateEntry?> ResidentAsync(StateEntry? entry, CancellationToken cancellationToken) =>
        entry is null || entry.IsResident ? new(entry) : PageInAsync(entry, cancellationToken);

    /// <summary>Replaces a resident entry (durable in the backend) by a copy without its value.</summary>
    private void PageOutLocked(StateEntry entry)
    {
        // The last moment the value is at hand to save a renewal with (the backend's entry needs it).
        if (entry.RenewalPending && entry.IsResident)
        {
            SaveRenewalLocked(entry);
        }

        var cold = entry.PagedOut();
        entry.Node().Entries.Set(cold);
        _resident!.Adjust(entry, -1);
        if (cold.ExpiresAtTicks != 0)
        {
            _expiry.Add(cold);
        }

        _resident.CountPageOut();
    }

    /// <summary>
    /// Reads a paged-out entry's value back from the backend and makes it resident again (the most recently used).
    /// Returns the entry, or, when the key changed meanwhile, whatever the key holds now.
    /// </summary>
    internal async ValueTask<StateEntry?> PageInAsync(StateEntry entry, CancellationToken cancellationToken)
    {
        var started = _instruments.ReadDuration.Enabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        try
        {
            return await PageInUnmeasuredAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (started != 0)
            {
                _instruments.RecordRead(Name, started, fromBackend: true);
            }
        }
    }

    private async ValueTask<StateEntry?> PageInUnmeasuredAsync(StateEntry entry, CancellationToken cancellationToken)
    {
        while (true)
        {
            var stored = await _backend!.GetAsync(entry.Scope.StorageKey, entry.Key, cancellationToken).ConfigureAwait(false);
            PendingEvictions? evictions = null;
            lock (_writeLock)
            {
                if (entry.IsResident)
                {
                    return entry;
                }

                if (entry.IsCurrent())
                {
                    entry.PageIn(CheckPagedOutValue(entry, stored));
                    _resident!.Adjust(entry, 1);
                    _recency.StampMostRecentLocked(entry);
                    _resident.CountPageIn();
                    EvictForCapacityLocked(0, ref evictions);
                    WriteBehindLocked();
                    return entry;
                }
            }

            // Written, deleted or expired since it was read: the key's current entry is the answer.
            var current = Read(FindNode(entry.Scope), entry.Key);
            if (current is null || current.IsResident)
            {
                return current;
            }

            entry = current;
        }
    }

    /// <summary>
    /// The value of an entry, read from the backend when it is paged out. Never under the write lock (a backend read
    /// there would stall every writer): the caller makes sure the backend still holds the entry's version (nobody
    /// writes the key, or the group commit holds back its later changes).
    /// </summary>
    private byte[] ValueOf(StateEntry entry)
    {
        if (entry.ResidentUtf8Json is { } value)
        {
            return value;
        }

        // The backends' point reads are synchronous underneath (SQLite, RocksDB); only paged-out values come here.
        var stored = _backend!.GetAsync(entry.Scope.StorageKey, entry.Key, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return CheckPagedOutValue(entry, stored);
    }

    /// <summary>
    /// A value is paged out only once its version is in the backend, and any later change of the key replaces the
    /// entry in memory first: the backend must hold exactly that version.
    /// </summary>
    private byte[] CheckPagedOutValue(StateEntry entry, BackendEntry? stored) =>
        stored is not null && stored.Version == entry.Version
            ? stored.Value
            : throw new StateBackendException(
                $"The backend '{_backend!.Description}' no longer holds version {entry.Version} of key '{entry.Key}' in scope '{entry.Scope}' (it holds {(stored is null ? "nothing" : $"version {stored.Version}")}); its value was paged out of memory and cannot be read back. Was the storage changed by another process?");
}
