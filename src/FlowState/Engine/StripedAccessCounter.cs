using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FlowState;

/// <summary>
/// Hit and miss counters striped by processor so that readers on different cores do not fight over one cache line.
/// Counts are exact for one thread and may under-count by a hair when threads sharing a stripe race.
/// A struct held inline by its scope node, so that a read reaches the stripes with one load fewer.
/// </summary>
internal readonly struct StripedAccessCounter
{
    // One 64-byte line per stripe: [hits, misses, padding x6], plus one unused line before the first stripe and one
    // after the last. Without them the first and last stripes shared a cache line with whatever the allocator put
    // beside the array (the scope's entry dictionary, read on every get), and two readers ran at 2.2x the time of
    // one: each count invalidated the other core's copy of the dictionary.
    private const int LineLongs = 8;
    private static readonly int StripeMask = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(Environment.ProcessorCount, 16)) - 1;

    private readonly long[] _lines;

    public StripedAccessCounter() => _lines = new long[(StripeMask + 3) * LineLongs];

    public long Hits => Counts().Hits;

    public long Misses => Counts().Misses;

    /// <summary>
    /// Both sums in one pass over the stripes' lines, without reading the array's length (in the padding line before
    /// the first stripe): a walk over every scope of a large store touches two lines per scope, not three.
    /// </summary>
    public (long Hits, long Misses) Counts()
    {
        ref var first = ref MemoryMarshal.GetArrayDataReference(_lines);
        long hits = 0, misses = 0;
        for (var stripe = 1; stripe <= StripeMask + 1; stripe++)
        {
            hits += Volatile.Read(ref Unsafe.Add(ref first, stripe * LineLongs));
            misses += Volatile.Read(ref Unsafe.Add(ref first, (stripe * LineLongs) + 1));
        }

        return (hits, misses);
    }

    private static int s_nextStripe;

    // Each thread gets its stripe once (round robin), which is cheaper than asking for the processor on every read.
    [ThreadStatic]
    private static int t_stripeOffset;

    // Plain increments: a lost count needs two threads on one stripe to interleave mid-increment. Statistics accept
    // that; reads stay free of locked instructions.
    // StripeOffset() is always inside the array (one line of padding, then a stripe below StripeMask + 1, times
    // LineLongs): the increments skip the bounds check, a measurable part of a read that costs a few nanoseconds.
    public void Hit() => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_lines), StripeOffset())++;

    public void Miss() => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_lines), StripeOffset() + 1)++;

    private static int StripeOffset()
    {
        var offset = t_stripeOffset;
        if (offset == 0)
        {
            // Offset 0 means "unassigned"; no stripe starts there (line 0 is padding).
            offset = t_stripeOffset = ((Interlocked.Increment(ref s_nextStripe) & StripeMask) + 1) * LineLongs;
        }

        return offset;
    }
}
