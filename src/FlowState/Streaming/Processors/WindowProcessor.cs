using System.Globalization;
using System.Text.Json;

namespace FlowState.Streaming;

/// <summary>
/// Event-time windows per key, closed by event-time timers: <see cref="Tumbling"/> windows (fixed, back to back) or
/// <see cref="Sliding"/> ones (fixed size, a new one every slide, overlapping). Each message counts in every window its
/// <see cref="StreamMessage.Timestamp"/> falls in; a window is emitted as a <see cref="WindowResult"/> when the watermark
/// reaches its end — while the pipeline runs, with <see cref="StreamPipelineOptions.Watermarks"/> on, and at the latest
/// when a bounded input ends — whether or not more messages of its key arrive. A message whose windows all closed
/// already is late: it is dropped and counted in <see cref="LateEvents"/>.
/// </summary>
public sealed class WindowProcessor : IProcessor
{
    private const string CountsState = "windows";
    private long _lateEvents;

    private WindowProcessor(string name, TimeSpan size, TimeSpan slide)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (size <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A window's size must be positive.");
        }

        if (slide <= TimeSpan.Zero || slide > size)
        {
            throw new ArgumentOutOfRangeException(nameof(slide), slide, "A window's slide must be positive and at most its size.");
        }

        Name = name;
        Size = size;
        Slide = slide;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>How long each window lasts.</summary>
    public TimeSpan Size { get; }

    /// <summary>How far apart windows start (equal to <see cref="Size"/> for tumbling windows).</summary>
    public TimeSpan Slide { get; }

    /// <summary>Messages dropped because every window they fall in had closed (over all partitions, since this instance was made).</summary>
    public long LateEvents => Interlocked.Read(ref _lateEvents);

    /// <summary>Back-to-back windows of <paramref name="size"/>, aligned to the Unix epoch.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive.</exception>
    public static WindowProcessor Tumbling(string name, TimeSpan size) => new(name, size, size);

    /// <summary>Windows of <paramref name="size"/> starting every <paramref name="slide"/>, aligned to the Unix epoch.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is not positive, or the slide not in (0, size].</exception>
    public static WindowProcessor Sliding(string name, TimeSpan size, TimeSpan slide) => new(name, size, slide);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(context);
        var counts = context.ValueState<Dictionary<string, long>>(CountsState);
        var watermark = context.Timers.CurrentWatermark.UtcTicks;
        var changed = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            var key = message.Key ?? throw new StreamException(
                $"Processor '{Name}' keeps windows per key, and message '{message.Id ?? "(no id)"}' has no key; give its source a key field.");
            if (!changed.TryGetValue(key, out var windows))
            {
                windows = await counts.GetAsync(key, cancellationToken).ConfigureAwait(false) ?? [];
                changed[key] = windows;
            }

            var late = true;
            var time = message.Timestamp.UtcTicks - Epoch;
            for (var start = time - Mod(time, Slide.Ticks); start > time - Size.Ticks; start -= Slide.Ticks)
            {
                var end = Epoch + start + Size.Ticks;
                if (end <= watermark)
                {
                    continue;
                }

                late = false;
                var id = (Epoch + start).ToString(CultureInfo.InvariantCulture);
                if (!windows.TryGetValue(id, out var events))
                {
                    await context.Timers.RegisterEventTimeTimerAsync(key, new DateTimeOffset(end, TimeSpan.Zero), cancellationToken).ConfigureAwait(false);
                }

                windows[id] = events + 1;
            }

            if (late)
            {
                Interlocked.Increment(ref _lateEvents);
            }
        }

        foreach (var (key, windows) in changed)
        {
            await counts.SetAsync(key, windows, cancellationToken).ConfigureAwait(false);
        }

        return [];
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StreamMessage>> OnTimerAsync(StreamTimer timer, ProcessorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        ArgumentNullException.ThrowIfNull(context);
        var counts = context.ValueState<Dictionary<string, long>>(CountsState);
        var windows = await counts.GetAsync(timer.Key, cancellationToken).ConfigureAwait(false);
        var start = timer.Time.UtcTicks - Size.Ticks;
        var id = start.ToString(CultureInfo.InvariantCulture);
        if (windows is null || !windows.Remove(id, out var events))
        {
            return [];
        }

        if (windows.Count == 0)
        {
            await counts.ClearAsync(timer.Key, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await counts.SetAsync(timer.Key, windows, cancellationToken).ConfigureAwait(false);
        }

        var result = new WindowResult(timer.Key, new DateTimeOffset(start, TimeSpan.Zero), timer.Time, events);
        return [new StreamMessage(timer.Key, JsonSerializer.SerializeToElement(result, StreamJsonContext.Default.WindowResult), $"{Name}:{timer.Key}@{id}", timer.Time)];
    }

    // Windows are aligned to the Unix epoch, as Flink's are.
    private static long Epoch => DateTimeOffset.UnixEpoch.UtcTicks;

    private static long Mod(long value, long divisor) => ((value % divisor) + divisor) % divisor;
}
