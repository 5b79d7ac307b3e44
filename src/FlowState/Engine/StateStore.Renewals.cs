namespace FlowState;

// Sliding expirations renewed by reads reach the backend as upserts of the same version with the new deadline,
// written behind: at most once per SlidingExpirationSaveInterval, when a value is paged out, and at close.
public sealed partial class StateStore
{
    private readonly SlidingRenewals? _renewals;

    private void SaveRenewalsLocked(long now)
    {
        foreach (var entry in _renewals!.TakeAll(now))
        {
            if (!entry.RenewalPending)
            {
                // Saved meanwhile, when its value was paged out.
                continue;
            }

            if (!entry.IsCurrent() || entry.IsExpired(now))
            {
                // Written, deleted or expired since the read: that change is what the backend gets.
                entry.ClearRenewalPending();
                continue;
            }

            if (!entry.IsResident)
            {
                // Its value is being read back; the backend's entry needs it, so the next save takes it.
                _renewals.Requeue(entry);
                continue;
            }

            SaveRenewalLocked(entry);
        }
    }

    private void SaveRenewalLocked(StateEntry entry)
    {
        entry.ClearRenewalPending();
        (_pendingChanges ??= []).Add(BackendChange.Upsert(new BackendEntry(
            entry.Scope.StorageKey, entry.Key, entry.Utf8Json, entry.Version, entry.ExpiresAtTicks, entry.TimeToLiveTicks, entry.Sliding)));
    }

    /// <summary>Saves every renewal before the group commit drains, reading back the values a save needs first.</summary>
    private async ValueTask SaveRenewalsAtCloseAsync()
    {
        List<StateEntry> unread = [];
        lock (_writeLock)
        {
            var now = NowTicks();
            SaveRenewalsLocked(now);
            unread.AddRange(_renewals!.TakeAll(now));
            WriteBehindLocked();
        }

        if (unread.Count == 0)
        {
            return;
        }

        foreach (var entry in unread)
        {
            try
            {
                await PageInAsync(entry, CancellationToken.None).ConfigureAwait(false);
            }
            catch (StateException)
            {
                // The backend fails; the commit drain below reports it.
            }

            _renewals!.Requeue(entry);
        }

        lock (_writeLock)
        {
            SaveRenewalsLocked(NowTicks());
            WriteBehindLocked();
        }
    }
}
