namespace FlowState;

/// <summary>
/// A cheap upper bound on the system clock's "now" for the TTL fast path: an anchor (UTC ticks and
/// <see cref="Environment.TickCount64"/> read together) plus the monotonic milliseconds since. Reading it costs about
/// 4 ns where <see cref="DateTime.UtcNow"/> costs about 28 ns. The store refreshes the anchor on every expiry sweep
/// (250 ms by default) and when it is older than <see cref="MaxAnchorAge"/>.
/// </summary>
internal sealed class CoarseUtcClock
{
    /// <summary>Added to every estimate: covers the tick resolution and wall-clock steps between anchors.</summary>
    public const long SafetyMilliseconds = 1000;

    private const long MaxAnchorAge = 5000;

    private readonly TimeProvider _time;
    private Anchor _anchor;

    public CoarseUtcClock(TimeProvider time)
    {
        _time = time;
        _anchor = new Anchor(Environment.TickCount64, time.GetUtcNow().UtcTicks);
    }

    /// <summary>A time no earlier than now (by the anchored clock), or long.MaxValue when the anchor is stale.</summary>
    public long UpperBoundUtcTicks()
    {
        var anchor = Volatile.Read(ref _anchor);
        var elapsed = Environment.TickCount64 - anchor.TickMilliseconds;
        if ((ulong)elapsed >= MaxAnchorAge)
        {
            return long.MaxValue;
        }

        return anchor.UtcTicks + ((elapsed + SafetyMilliseconds) * TimeSpan.TicksPerMillisecond);
    }

    public void Refresh() => Volatile.Write(ref _anchor, new Anchor(Environment.TickCount64, _time.GetUtcNow().UtcTicks));

    private sealed record Anchor(long TickMilliseconds, long UtcTicks);
}
