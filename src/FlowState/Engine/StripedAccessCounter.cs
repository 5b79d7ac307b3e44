using System.Numerics;

namespace FlowState;

/// <summary>
/// Hit and miss counters striped by processor so that readers on different cores do not fight over one cache line.
/// </summary>
internal sealed class StripedAccessCounter
{
    // One 64-byte line per stripe: [hits, misses, padding x6].
    private const int LineLongs = 8;
    private static readonly int StripeMask = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(Environment.ProcessorCount, 16)) - 1;

    private readonly long[] _lines = new long[(StripeMask + 1) * LineLongs];

    public long Hits
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _lines.Length; i += LineLongs)
            {
                sum += Volatile.Read(ref _lines[i]);
            }

            return sum;
        }
    }

    public long Misses
    {
        get
        {
            long sum = 0;
            for (var i = 1; i < _lines.Length; i += LineLongs)
            {
                sum += Volatile.Read(ref _lines[i]);
            }

            return sum;
        }
    }

    public void Hit() => Interlocked.Increment(ref _lines[(Thread.GetCurrentProcessorId() & StripeMask) * LineLongs]);

    public void Miss() => Interlocked.Increment(ref _lines[((Thread.GetCurrentProcessorId() & StripeMask) * LineLongs) + 1]);
}
