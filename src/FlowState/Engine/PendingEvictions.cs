namespace FlowState;

/// <summary>
/// Evictions collected under the write lock and handed to <see cref="StateStoreOptions.OnEvicted"/> after it. The
/// value of a paged-out entry is not read under the lock (a backend read there would stall every writer): its
/// eviction holds back the group commit that removes the value from the backend (<see cref="Gate"/>) until the value
/// has been read back, after the lock.
/// </summary>
internal sealed class PendingEvictions : List<StateEviction>
{
    /// <summary>Evictions (by index) whose value is still in the backend only.</summary>
    public List<(int Index, StateEntry Entry)>? PagedOut { get; private set; }

    /// <summary>Opened once the paged-out values are read; the group commit carrying their removal waits for it.</summary>
    public TaskCompletionSource? Gate { get; private set; }

    /// <summary>Adds an eviction whose value is read later; returns the gate the removal must wait for when this call created it, else null.</summary>
    public Task? AddPagedOut(StateEntry entry, EvictionReason reason)
    {
        (PagedOut ??= []).Add((Count, entry));
        Add(new StateEviction(entry.Scope, entry.Key, ReadOnlyMemory<byte>.Empty, entry.Version, reason));
        if (Gate is not null)
        {
            return null;
        }

        Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return Gate.Task;
    }
}
