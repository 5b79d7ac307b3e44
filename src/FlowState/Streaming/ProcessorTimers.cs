namespace FlowState.Streaming;

/// <summary>
/// The timers of one partition of a processor (<see cref="ProcessorContext.Timers"/>): registered per key, kept in the
/// processor's state (so checkpoints, savepoints and rescaling carry them with their key), fired through
/// <see cref="IProcessor.OnTimerAsync"/>. A key has at most one timer per time and clock; registering it again changes
/// nothing.
/// </summary>
public sealed class ProcessorTimers
{
    private readonly ProcessorContext _context;
    private readonly IStateStore _store;
    private readonly TimeProvider _time;
    private readonly SortedSet<(long Ticks, string Key)> _eventTime = [];
    private readonly SortedSet<(long Ticks, string Key)> _processingTime = [];
    private readonly Dictionary<string, (SortedSet<long> EventTime, SortedSet<long> ProcessingTime)> _byKey = new(StringComparer.Ordinal);
    private bool _loaded;

    internal ProcessorTimers(ProcessorContext context, IStateStore store, TimeProvider time)
    {
        _context = context;
        _store = store;
        _time = time;
    }

    /// <summary>How far event time has got in this partition: its inputs' lowest watermark; <see cref="DateTimeOffset.MinValue"/> before the first.</summary>
    public DateTimeOffset CurrentWatermark { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>The pipeline's clock now (<see cref="StreamPipelineOptions.TimeProvider"/>).</summary>
    public DateTimeOffset CurrentProcessingTime => _time.GetUtcNow();

    /// <summary>Timers registered in this partition and not fired yet.</summary>
    public int Count => _eventTime.Count + _processingTime.Count;

    /// <summary>Registers a timer that fires when the watermark reaches <paramref name="time"/>.</summary>
    /// <exception cref="StreamException"><paramref name="key"/> belongs to another partition.</exception>
    public ValueTask RegisterEventTimeTimerAsync(string key, DateTimeOffset time, CancellationToken cancellationToken = default) =>
        ChangeAsync(key, time, StreamTimeDomain.EventTime, add: true, cancellationToken);

    /// <summary>Registers a timer that fires when the pipeline's clock reaches <paramref name="time"/>.</summary>
    /// <exception cref="StreamException"><paramref name="key"/> belongs to another partition.</exception>
    public ValueTask RegisterProcessingTimeTimerAsync(string key, DateTimeOffset time, CancellationToken cancellationToken = default) =>
        ChangeAsync(key, time, StreamTimeDomain.ProcessingTime, add: true, cancellationToken);

    /// <summary>Removes an event-time timer, if it is registered.</summary>
    /// <exception cref="StreamException"><paramref name="key"/> belongs to another partition.</exception>
    public ValueTask DeleteEventTimeTimerAsync(string key, DateTimeOffset time, CancellationToken cancellationToken = default) =>
        ChangeAsync(key, time, StreamTimeDomain.EventTime, add: false, cancellationToken);

    /// <summary>Removes a processing-time timer, if it is registered.</summary>
    /// <exception cref="StreamException"><paramref name="key"/> belongs to another partition.</exception>
    public ValueTask DeleteProcessingTimeTimerAsync(string key, DateTimeOffset time, CancellationToken cancellationToken = default) =>
        ChangeAsync(key, time, StreamTimeDomain.ProcessingTime, add: false, cancellationToken);

    /// <summary>When the next processing-time timer is due, or null when none is registered.</summary>
    internal DateTimeOffset? NextProcessingTime => _processingTime.Count == 0 ? null : new DateTimeOffset(_processingTime.Min.Ticks, TimeSpan.Zero);

    /// <summary>Reads the partition's timers from state (restored from a checkpoint, possibly of another partition count).</summary>
    internal async ValueTask LoadAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        await foreach (var key in _store.ListKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!_context.Owns(key)
                || await _store.GetAsync(key, StreamJsonContext.Default.TimerSet, cancellationToken).ConfigureAwait(false) is not { } stored)
            {
                continue;
            }

            var timers = TimersOf(key);
            foreach (var ticks in stored.EventTime)
            {
                timers.EventTime.Add(ticks);
                _eventTime.Add((ticks, key));
            }

            foreach (var ticks in stored.ProcessingTime)
            {
                timers.ProcessingTime.Add(ticks);
                _processingTime.Add((ticks, key));
            }
        }

        _loaded = true;
    }

    /// <summary>Moves the watermark forward (never back).</summary>
    internal void AdvanceWatermark(long ticks)
    {
        if (ticks > CurrentWatermark.UtcTicks)
        {
            CurrentWatermark = new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Takes out (of memory and state) the earliest timer of <paramref name="domain"/> due at <paramref name="upTo"/>, or null.</summary>
    internal async ValueTask<StreamTimer?> TakeDueAsync(StreamTimeDomain domain, long upTo, CancellationToken cancellationToken)
    {
        var ordered = domain == StreamTimeDomain.EventTime ? _eventTime : _processingTime;
        if (ordered.Count == 0 || ordered.Min is var (ticks, key) && ticks > upTo)
        {
            return null;
        }

        ordered.Remove((ticks, key));
        var timers = _byKey[key];
        (domain == StreamTimeDomain.EventTime ? timers.EventTime : timers.ProcessingTime).Remove(ticks);
        await SaveAsync(key, timers, cancellationToken).ConfigureAwait(false);
        return new StreamTimer(key, new DateTimeOffset(ticks, TimeSpan.Zero), domain);
    }

    private async ValueTask ChangeAsync(string key, DateTimeOffset time, StreamTimeDomain domain, bool add, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_context.Owns(key))
        {
            throw new StreamException(
                $"Processor '{_context.ProcessorName}' set a timer for key '{key}' while processing partition {_context.Partition} of {_context.PartitionCount}, and the key belongs to partition {StreamPartitioner.PartitionOf(key, _context.PartitionCount)}; set timers for the keys of the messages being processed.");
        }

        await LoadAsync(cancellationToken).ConfigureAwait(false);
        var ticks = time.UtcTicks;
        var timers = TimersOf(key);
        var (own, ordered) = domain == StreamTimeDomain.EventTime ? (timers.EventTime, _eventTime) : (timers.ProcessingTime, _processingTime);
        if (add ? !own.Add(ticks) : !own.Remove(ticks))
        {
            // Nothing changed; a delete for a key without timers leaves no empty entry behind.
            if (timers.EventTime.Count == 0 && timers.ProcessingTime.Count == 0)
            {
                _byKey.Remove(key);
            }

            return;
        }

        if (add)
        {
            ordered.Add((ticks, key));
        }
        else
        {
            ordered.Remove((ticks, key));
        }

        await SaveAsync(key, timers, cancellationToken).ConfigureAwait(false);
    }

    private (SortedSet<long> EventTime, SortedSet<long> ProcessingTime) TimersOf(string key)
    {
        if (!_byKey.TryGetValue(key, out var timers))
        {
            _byKey[key] = timers = ([], []);
        }

        return timers;
    }

    private async ValueTask SaveAsync(string key, (SortedSet<long> EventTime, SortedSet<long> ProcessingTime) timers, CancellationToken cancellationToken)
    {
        if (timers.EventTime.Count == 0 && timers.ProcessingTime.Count == 0)
        {
            _byKey.Remove(key);
            await _store.DeleteAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        await _store.SetAsync(key, new TimerSet([.. timers.EventTime], [.. timers.ProcessingTime]), StreamJsonContext.Default.TimerSet, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
