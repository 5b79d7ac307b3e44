namespace FlowState;

/// <summary>
/// What a bounded store with a backend holds in memory: the entries and bytes of resident values, and how often values
/// left memory and were read back.
/// </summary>
/// <remarks>
/// Invariant: <see cref="Entries"/> and <see cref="Bytes"/> are the count and size of the entries whose value is in
/// memory. Lock: the store's write lock, for every call.
/// </remarks>
internal sealed class ResidentSet(long? maxEntries, long? maxBytes)
{
    private readonly long _maxEntries = maxEntries ?? long.MaxValue;
    private readonly long _maxBytes = maxBytes ?? long.MaxValue;

    public long Entries { get; private set; }

    public long Bytes { get; private set; }

    public long PageOuts { get; private set; }

    public long PageIns { get; private set; }

    /// <summary>Whether more values are in memory than the store's MaxEntries or MaxBytes allow.</summary>
    public bool IsOverCapacity => Entries > _maxEntries || Bytes > _maxBytes;

    /// <summary>Counts <paramref name="entry"/> in (<paramref name="sign"/> 1) or out (-1) when its value is in memory.</summary>
    public void Adjust(StateEntry? entry, int sign)
    {
        if (entry is not null && entry.IsResident)
        {
            Entries += sign;
            Bytes += sign * (long)entry.Size;
        }
    }

    public void CountPageOut() => PageOuts++;

    public void CountPageIn() => PageIns++;

    public PagingStatistics Statistics() => new(Entries, Bytes, PageOuts, PageIns);
}
