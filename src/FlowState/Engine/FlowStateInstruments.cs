using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace FlowState;

/// <summary>
/// The instruments of one <see cref="Meter"/> named <see cref="FlowStateMetrics.MeterName"/>: the process-wide one
/// (<see cref="Shared"/>) or one per <see cref="IMeterFactory"/> (a host's, so that its meters live and die with its
/// service provider and tests can listen to one host alone). Stores register here for the observable instruments.
/// </summary>
internal sealed class FlowStateInstruments
{
    // Seconds, as OpenTelemetry's conventions want; the SDK's default boundaries (0, 5, 10, … 10,000) suit
    // milliseconds and would put every FlowState duration in the first bucket.
    private static readonly InstrumentAdvice<double> SecondsAdvice = new()
    {
        HistogramBucketBoundaries = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private static readonly ConditionalWeakTable<IMeterFactory, FlowStateInstruments> PerFactory = [];

    private readonly Lock _storesLock = new();
    private readonly List<WeakReference<StateStore>> _stores = [];

    private FlowStateInstruments(Meter meter)
    {
        Writes = meter.CreateCounter<long>("flowstate.writes", "{operation}", "Write operations acknowledged (sets, merges, deletes; a batch counts each).");
        WriteDuration = meter.CreateHistogram("flowstate.write.duration", "s", "Time from a write call to its acknowledgement at the store's durability level.", advice: SecondsAdvice);
        ReadDuration = meter.CreateHistogram("flowstate.read.duration", "s", "Time of a lookup (tag flowstate.read.source = memory), and of reading a paged-out value back from the backend (backend).", advice: SecondsAdvice);
        CommitGroupSize = meter.CreateHistogram<long>("flowstate.commit.group_size", "{commit}", "Commits that shared one backend transaction (group commit).");
        CommitDuration = meter.CreateHistogram("flowstate.commit.duration", "s", "Time of one backend transaction, fsync included.", advice: SecondsAdvice);
        FlowSteps = meter.CreateCounter<long>("flowstate.flow.steps", "{step}", "Flow steps that committed or failed.");
        FlowStepDuration = meter.CreateHistogram("flowstate.flow.step.duration", "s", "Time of one flow step, prep to commit.", advice: SecondsAdvice);
        CheckpointDuration = meter.CreateHistogram("flowstate.checkpoint.duration", "s", "Time of one stream checkpoint, barrier request to manifest (tags flowstate.pipeline, flowstate.checkpoint.kind).", advice: SecondsAdvice);
        CheckpointSize = meter.CreateHistogram<long>("flowstate.checkpoint.size", "By", "Bytes of state files one stream checkpoint wrote (tags flowstate.pipeline, flowstate.checkpoint.kind).");
        StreamMessages = meter.CreateCounter<long>("flowstate.stream.messages", "{message}", "Messages read by a pipeline's sources (tag flowstate.pipeline).");
        meter.CreateObservableGauge("flowstate.entries", () => Observe(s => s.Entries), "{entry}", "Live entries in the store.");
        meter.CreateObservableGauge("flowstate.bytes", () => Observe(s => s.Bytes), "By", "Bytes of keys and values in the store.");
        meter.CreateObservableCounter("flowstate.reads", ObserveReads, "{read}", "Reads, by whether the key was found.");
        meter.CreateObservableCounter("flowstate.evictions", () => Observe(s => s.Evictions), "{entry}", "Entries evicted for capacity.");
        meter.CreateObservableCounter("flowstate.expirations", () => Observe(s => s.Expirations), "{entry}", "Entries that expired.");
        meter.CreateObservableGauge("flowstate.resident.entries", () => ObservePaging(p => p.ResidentEntries), "{entry}", "Values held in memory (a bounded store with a backend pages the others out).");
        meter.CreateObservableCounter("flowstate.page_outs", () => ObservePaging(p => p.PageOuts), "{entry}", "Values paged out of memory (bounded store with a backend).");
        meter.CreateObservableCounter("flowstate.page_ins", () => ObservePaging(p => p.PageIns), "{entry}", "Paged-out values read back from the backend.");
        meter.CreateObservableGauge("flowstate.commit.pending", () => ObserveStores(s => s.PendingCommits), "{commit}", "Commits acknowledged or waiting, not yet written by the backend.");
    }

    /// <summary>The instruments of the process-wide meter, for stores, runners and pipelines given no meter factory.</summary>
    public static FlowStateInstruments Shared { get; } = new(new Meter(FlowStateMetrics.MeterName, Version));

    public Counter<long> Writes { get; }

    public Histogram<double> WriteDuration { get; }

    public Histogram<double> ReadDuration { get; }

    public Histogram<long> CommitGroupSize { get; }

    public Histogram<double> CommitDuration { get; }

    public Counter<long> FlowSteps { get; }

    public Histogram<double> FlowStepDuration { get; }

    public Histogram<double> CheckpointDuration { get; }

    public Histogram<long> CheckpointSize { get; }

    public Counter<long> StreamMessages { get; }

    public bool WritesObserved => Writes.Enabled || WriteDuration.Enabled;

    private static string? Version => typeof(FlowStateInstruments).Assembly.GetName().Version?.ToString();

    /// <summary>The instruments of <paramref name="factory"/>'s FlowState meter (one set per factory), or <see cref="Shared"/>.</summary>
    public static FlowStateInstruments For(IMeterFactory? factory) =>
        factory is null ? Shared : PerFactory.GetValue(factory, static f => new FlowStateInstruments(f.Create(new MeterOptions(FlowStateMetrics.MeterName) { Version = Version })));

    public void Register(StateStore store)
    {
        lock (_storesLock)
        {
            _stores.RemoveAll(r => !r.TryGetTarget(out _));
            _stores.Add(new WeakReference<StateStore>(store));
        }
    }

    public void Unregister(StateStore store)
    {
        lock (_storesLock)
        {
            _stores.RemoveAll(r => !r.TryGetTarget(out var s) || ReferenceEquals(s, store));
        }
    }

    public void RecordWrites(string store, int operations, long startedTimestamp)
    {
        var tag = new KeyValuePair<string, object?>("flowstate.store", store);
        Writes.Add(operations, tag);
        WriteDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, tag);
    }

    public void RecordRead(string store, long startedTimestamp, bool fromBackend) =>
        ReadDuration.Record(
            Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds,
            new KeyValuePair<string, object?>("flowstate.store", store),
            new KeyValuePair<string, object?>("flowstate.read.source", fromBackend ? "backend" : "memory"));

    private List<StateStore> LiveStoreObjects()
    {
        var stores = new List<StateStore>();
        lock (_storesLock)
        {
            foreach (var reference in _stores)
            {
                if (reference.TryGetTarget(out var store))
                {
                    stores.Add(store);
                }
            }
        }

        return stores;
    }

    private List<(string Name, StateStatistics Statistics)> LiveStores()
    {
        var result = new List<(string, StateStatistics)>();
        foreach (var store in LiveStoreObjects())
        {
            try
            {
                result.Add((store.Name, store.GetStatistics()));
            }
            catch (ObjectDisposedException)
            {
                // Disposed between the copy and the read: it has nothing to report any more.
            }
        }

        return result;
    }

    private IEnumerable<Measurement<long>> Observe(Func<StateStatistics, long> value) =>
        LiveStores().Select(s => new Measurement<long>(value(s.Statistics), new KeyValuePair<string, object?>("flowstate.store", s.Name)));

    private IEnumerable<Measurement<long>> ObservePaging(Func<PagingStatistics, long> value) =>
        ObserveStores(s => value(s.PagingStatistics));

    private IEnumerable<Measurement<long>> ObserveStores(Func<StateStore, long> value) =>
        LiveStoreObjects().Select(s => new Measurement<long>(value(s), new KeyValuePair<string, object?>("flowstate.store", s.Name)));

    private IEnumerable<Measurement<long>> ObserveReads() =>
        LiveStores().SelectMany(s => new[]
        {
            new Measurement<long>(s.Statistics.Hits, new("flowstate.store", s.Name), new("flowstate.result", "hit")),
            new Measurement<long>(s.Statistics.Misses, new("flowstate.store", s.Name), new("flowstate.result", "miss")),
        });
}
