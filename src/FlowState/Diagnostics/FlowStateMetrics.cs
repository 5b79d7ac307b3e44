using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FlowState;

/// <summary>
/// The <see cref="Meter"/> <c>FlowState</c>. Every instrument carries the tag <c>flowstate.store</c>
/// (<see cref="StateStoreOptions.Name"/>); flow instruments carry <c>flowstate.flow</c> and stream instruments
/// <c>flowstate.pipeline</c> instead.
/// </summary>
/// <remarks>
/// Instruments: <c>flowstate.entries</c> and <c>flowstate.bytes</c> (gauges); <c>flowstate.reads</c> (counter, tag
/// <c>flowstate.result</c> = <c>hit</c>|<c>miss</c>), <c>flowstate.evictions</c>, <c>flowstate.expirations</c>
/// (observable counters, read from the store's statistics, so reads pay nothing for them);
/// <c>flowstate.writes</c> (counter of written operations) and <c>flowstate.write.duration</c> (histogram, ms, from
/// the call to its acknowledgement at the store's durability level); <c>flowstate.commit.group_size</c> (histogram of
/// commits per backend transaction) and <c>flowstate.commit.duration</c> (histogram, ms, of one backend transaction);
/// <c>flowstate.flow.steps</c> (counter, tag <c>flowstate.outcome</c> = <c>committed</c>|<c>failed</c>) and
/// <c>flowstate.flow.step.duration</c> (histogram, ms); <c>flowstate.checkpoint.duration</c> (histogram, ms) and
/// <c>flowstate.checkpoint.size</c> (histogram, bytes), tag <c>flowstate.checkpoint.kind</c> = <c>full</c>|<c>incremental</c>;
/// <c>flowstate.stream.messages</c> (counter of messages read by a pipeline's sources); <c>flowstate.resident.entries</c>
/// (gauge), <c>flowstate.page_outs</c> and <c>flowstate.page_ins</c> (observable counters) of a bounded store with a
/// backend.
/// </remarks>
public static class FlowStateMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "FlowState";

    private static readonly Lock StoresLock = new();
    private static readonly List<WeakReference<StateStore>> Stores = [];
    private static readonly Meter Meter = new(MeterName, typeof(FlowStateMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Writes = Meter.CreateCounter<long>("flowstate.writes", "{operation}", "Write operations acknowledged (sets, merges, deletes; a batch counts each).");
    internal static readonly Histogram<double> WriteDuration = Meter.CreateHistogram<double>("flowstate.write.duration", "ms", "Time from a write call to its acknowledgement at the store's durability level.");
    internal static readonly Histogram<long> CommitGroupSize = Meter.CreateHistogram<long>("flowstate.commit.group_size", "{commit}", "Commits that shared one backend transaction (group commit).");
    internal static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("flowstate.commit.duration", "ms", "Time of one backend transaction, fsync included.");
    internal static readonly Counter<long> FlowSteps = Meter.CreateCounter<long>("flowstate.flow.steps", "{step}", "Flow steps that committed or failed.");
    internal static readonly Histogram<double> FlowStepDuration = Meter.CreateHistogram<double>("flowstate.flow.step.duration", "ms", "Time of one flow step, prep to commit.");
    internal static readonly Histogram<double> CheckpointDuration = Meter.CreateHistogram<double>("flowstate.checkpoint.duration", "ms", "Time of one stream checkpoint, barrier request to manifest (tags flowstate.pipeline, flowstate.checkpoint.kind).");
    internal static readonly Histogram<long> CheckpointSize = Meter.CreateHistogram<long>("flowstate.checkpoint.size", "By", "Bytes of state files one stream checkpoint wrote (tags flowstate.pipeline, flowstate.checkpoint.kind).");
    internal static readonly Counter<long> StreamMessages = Meter.CreateCounter<long>("flowstate.stream.messages", "{message}", "Messages read by a pipeline's sources (tag flowstate.pipeline).");

    static FlowStateMetrics()
    {
        Meter.CreateObservableGauge("flowstate.entries", () => Observe(s => s.Entries), "{entry}", "Live entries in the store.");
        Meter.CreateObservableGauge("flowstate.bytes", () => Observe(s => s.Bytes), "By", "Bytes of keys and values in the store.");
        Meter.CreateObservableCounter("flowstate.reads", ObserveReads, "{read}", "Reads, by whether the key was found.");
        Meter.CreateObservableCounter("flowstate.evictions", () => Observe(s => s.Evictions), "{entry}", "Entries evicted for capacity.");
        Meter.CreateObservableCounter("flowstate.expirations", () => Observe(s => s.Expirations), "{entry}", "Entries that expired.");
        Meter.CreateObservableGauge("flowstate.resident.entries", () => ObservePaging(p => p.ResidentEntries), "{entry}", "Values held in memory (a bounded store with a backend pages the others out).");
        Meter.CreateObservableCounter("flowstate.page_outs", () => ObservePaging(p => p.PageOuts), "{entry}", "Values paged out of memory (bounded store with a backend).");
        Meter.CreateObservableCounter("flowstate.page_ins", () => ObservePaging(p => p.PageIns), "{entry}", "Paged-out values read back from the backend.");
    }

    internal static bool WritesObserved => Writes.Enabled || WriteDuration.Enabled;

    internal static void Register(StateStore store)
    {
        lock (StoresLock)
        {
            Stores.RemoveAll(r => !r.TryGetTarget(out _));
            Stores.Add(new WeakReference<StateStore>(store));
        }
    }

    internal static void Unregister(StateStore store)
    {
        lock (StoresLock)
        {
            Stores.RemoveAll(r => !r.TryGetTarget(out var s) || ReferenceEquals(s, store));
        }
    }

    internal static void RecordWrites(string store, int operations, long startedTimestamp)
    {
        var tag = new KeyValuePair<string, object?>("flowstate.store", store);
        Writes.Add(operations, tag);
        WriteDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds, tag);
    }

    private static List<StateStore> LiveStoreObjects()
    {
        var stores = new List<StateStore>();
        lock (StoresLock)
        {
            foreach (var reference in Stores)
            {
                if (reference.TryGetTarget(out var store))
                {
                    stores.Add(store);
                }
            }
        }

        return stores;
    }

    private static List<(string Name, StateStatistics Statistics)> LiveStores()
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

    private static IEnumerable<Measurement<long>> Observe(Func<StateStatistics, long> value) =>
        LiveStores().Select(s => new Measurement<long>(value(s.Statistics), new KeyValuePair<string, object?>("flowstate.store", s.Name)));

    private static IEnumerable<Measurement<long>> ObservePaging(Func<PagingStatistics, long> value) =>
        LiveStoreObjects().Select(s => new Measurement<long>(value(s.PagingStatistics), new KeyValuePair<string, object?>("flowstate.store", s.Name)));

    private static IEnumerable<Measurement<long>> ObserveReads() =>
        LiveStores().SelectMany(s => new[]
        {
            new Measurement<long>(s.Statistics.Hits, new("flowstate.store", s.Name), new("flowstate.result", "hit")),
            new Measurement<long>(s.Statistics.Misses, new("flowstate.store", s.Name), new("flowstate.result", "miss")),
        });
}
