using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.InteropServices;

namespace FlowState;

/// <summary>
/// One scope's entries by key: an open-addressed table whose slots hold the entries themselves, where a
/// <c>ConcurrentDictionary</c> keeps a 48-byte node per key besides its bucket array (the per-key memory the open
/// benchmark measures). Reads take no lock; changes are made by one writer at a time, under the store's write lock.
/// </summary>
/// <remarks>
/// Why a reader never misses a key that stays in the table: an entry never moves within a slot array (a removal leaves
/// a tombstone, so probe sequences stay whole), and a grown or cleaned table is built aside and published whole; the
/// array a reader already holds is not written again. At least 30% of the slots stay empty, so every probe ends.
/// </remarks>
internal sealed class EntryTable : IEnumerable<StateEntry>
{
    // Slots in use, tombstones included, stay at or below 7/10 of the array; a rebuild leaves at most half in use.
    private const int MaxLoadTenths = 7;
    private const int MinLength = 8;

    // A process-wide random seed: keys chosen to collide in one process do not collide in another.
    private static readonly long Seed = Random.Shared.NextInt64();
    private static readonly StateEntry[] NoSlots = new StateEntry[1];
    private static readonly StateEntry Tombstone = new(StateScope.Global, "\0removed", 0, [], 0, 0, 0, false);

    private StateEntry?[] _slots = NoSlots;
    private int _count;
    private int _used;

    /// <summary>Live entries.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool IsEmpty => Count == 0;

    /// <summary>The entry of <paramref name="key"/>, read without a lock.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out StateEntry entry)
    {
        var slots = Volatile.Read(ref _slots);
        var mask = slots.Length - 1;
        var i = Hash(key) & mask;
        for (var step = 1; ; step++)
        {
            var candidate = Volatile.Read(ref slots[i]);
            if (candidate is null)
            {
                entry = null;
                return false;
            }

            if (!ReferenceEquals(candidate, Tombstone) && string.Equals(candidate.Key, key, StringComparison.Ordinal))
            {
                entry = candidate;
                return true;
            }

            i = (i + step) & mask;
        }
    }

    /// <summary>Sets the entry of its key, replacing any. Under the write lock.</summary>
    /// <returns>The entry replaced, if any.</returns>
    public StateEntry? Set(StateEntry entry)
    {
        var slot = Find(entry.Key, out var free);
        if (slot >= 0)
        {
            var replaced = _slots[slot];
            Volatile.Write(ref _slots[slot], entry);
            return replaced;
        }

        Insert(entry, free);
        return null;
    }

    /// <summary>Removes the entry of <paramref name="key"/>. Under the write lock.</summary>
    public bool TryRemove(string key, [MaybeNullWhen(false)] out StateEntry removed)
    {
        var slot = Find(key, out _);
        if (slot < 0)
        {
            removed = null;
            return false;
        }

        removed = _slots[slot]!;
        RemoveAt(slot);
        return true;
    }

    /// <summary>Removes <paramref name="entry"/> if it is still its key's entry. Under the write lock.</summary>
    public bool TryRemove(StateEntry entry)
    {
        var slot = Find(entry.Key, out _);
        if (slot < 0 || !ReferenceEquals(_slots[slot], entry))
        {
            return false;
        }

        RemoveAt(slot);
        return true;
    }

    /// <summary>
    /// Makes room for <paramref name="capacity"/> entries at once when the table holds none (a bulk restore), sparing
    /// it the rebuilds of its growth. Under the write lock.
    /// </summary>
    public void Reserve(int capacity)
    {
        // Sized to end the restore at most 7/10 full: a bulk restore knows its count, so it need not leave growth room.
        var length = Math.Max(MinLength, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(1 << 30, ((long)capacity * 10 / MaxLoadTenths) + 1)));
        if (_used == 0 && length > _slots.Length)
        {
            Volatile.Write(ref _slots, new StateEntry?[length]);
        }
    }

    /// <summary>The live entries of the slot array as it is now; changes made while enumerating may or may not be seen.</summary>
    public Enumerator GetEnumerator() => new(Volatile.Read(ref _slots));

    IEnumerator<StateEntry> IEnumerable<StateEntry>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static int Hash(string key) => (int)XxHash3.HashToUInt64(MemoryMarshal.AsBytes(key.AsSpan()), Seed);

    // The smallest power of two that holds the entries with at most half its slots in use.
    private static int LengthFor(int entries) => Math.Max(MinLength, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, entries) * 2));

    /// <summary>The slot of <paramref name="key"/>, or −1 with the first slot an insert may take.</summary>
    private int Find(string key, out int free)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        var i = Hash(key) & mask;
        free = -1;
        for (var step = 1; ; step++)
        {
            var candidate = slots[i];
            if (candidate is null)
            {
                if (free < 0)
                {
                    free = i;
                }

                return -1;
            }

            if (ReferenceEquals(candidate, Tombstone))
            {
                if (free < 0)
                {
                    free = i;
                }
            }
            else if (string.Equals(candidate.Key, key, StringComparison.Ordinal))
            {
                return i;
            }

            i = (i + step) & mask;
        }
    }

    private void Insert(StateEntry entry, int free)
    {
        var reusesTombstone = ReferenceEquals(_slots[free], Tombstone);
        if (!reusesTombstone && (_used + 1) * 10 > _slots.Length * MaxLoadTenths)
        {
            Rebuild(_count + 1);
            Find(entry.Key, out free);
        }
        else if (!reusesTombstone)
        {
            _used++;
        }

        Volatile.Write(ref _slots[free], entry);
        Volatile.Write(ref _count, _count + 1);
    }

    private void RemoveAt(int slot)
    {
        Volatile.Write(ref _slots[slot], Tombstone);
        Volatile.Write(ref _count, _count - 1);
    }

    /// <summary>Copies the live entries into a new array sized for <paramref name="entries"/> and publishes it whole.</summary>
    private void Rebuild(int entries)
    {
        var slots = new StateEntry?[LengthFor(entries)];
        var mask = slots.Length - 1;
        var used = 0;
        foreach (var entry in _slots)
        {
            if (entry is null || ReferenceEquals(entry, Tombstone))
            {
                continue;
            }

            var i = Hash(entry.Key) & mask;
            for (var step = 1; slots[i] is not null; step++)
            {
                i = (i + step) & mask;
            }

            slots[i] = entry;
            used++;
        }

        // The entry about to be inserted takes one more slot.
        _used = used + 1;
        Volatile.Write(ref _slots, slots);
    }

    /// <summary>Enumerates the live entries of one slot array.</summary>
    public struct Enumerator(StateEntry?[] slots) : IEnumerator<StateEntry>
    {
        private int _index = -1;
        private StateEntry? _current;

        public readonly StateEntry Current => _current!;

        readonly object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            while (++_index < slots.Length)
            {
                var entry = Volatile.Read(ref slots[_index]);
                if (entry is not null && !ReferenceEquals(entry, Tombstone))
                {
                    _current = entry;
                    return true;
                }
            }

            return false;
        }

        public void Reset()
        {
            _index = -1;
            _current = null;
        }

        public readonly void Dispose()
        {
        }
    }
}
