using BenchmarkDotNet.Attributes;

namespace FlowState.Benchmarks;

/// <summary>
/// Where a bounded get's time goes: the same reads (2,048 keys, one thread) on a plain store, a store whose entries
/// have a TTL (a clock read per get), a bounded store without TTL (an LRU stamp per get) and the bounded store of
/// <see cref="BoundedStoreBenchmarks"/> (both). Ratios are against the plain store.
/// </summary>
public class BoundedGetBreakdownBenchmarks
{
    private const int Keys = 2048;
    private readonly string[] _keys = Enumerable.Range(0, Keys).Select(i => $"key:{i}").ToArray();
    private readonly byte[] _payloadJson = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Payload.Sample(1));
    private readonly List<StateStore> _stores = [];
    private IStateStore _plain = null!;
    private IStateStore _timeToLive = null!;
    private IStateStore _bounded = null!;
    private IStateStore _boundedWithTimeToLive = null!;

    [GlobalSetup]
    public void Setup()
    {
        _plain = Open(new StateStoreOptions());
        _timeToLive = Open(new StateStoreOptions { DefaultTimeToLive = TimeSpan.FromHours(1) });
        _bounded = Open(new StateStoreOptions { MaxEntries = 4096 });
        _boundedWithTimeToLive = Open(new StateStoreOptions { MaxEntries = 4096, DefaultTimeToLive = TimeSpan.FromHours(1) });

        // Key by key across the four stores, so that their entries sit side by side in memory: filled one store after
        // the other, the first store's entries end up laid out differently, and that alone moved its reads by ±30%.
        foreach (var key in _keys)
        {
            foreach (var store in new[] { _plain, _timeToLive, _bounded, _boundedWithTimeToLive })
            {
                store.SetRawAsync(key, _payloadJson).AsTask().GetAwaiter().GetResult();
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _stores.ForEach(store => store.DisposeAsync().AsTask().GetAwaiter().GetResult());

    [Benchmark(Baseline = true, OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    public long Plain_get() => Read(_plain);

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    public long TimeToLive_get() => Read(_timeToLive);

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    public long Bounded_get() => Read(_bounded);

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    public long Bounded_with_time_to_live_get() => Read(_boundedWithTimeToLive);

    private IStateStore Open(StateStoreOptions options)
    {
        var store = new StateStore(options);
        _stores.Add(store);
        return store.For(StateScope.Custom("cache"));
    }

    private long Read(IStateStore store)
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            sum += CompletedValueTask.Result(store.GetEntryAsync(_keys[i & (Keys - 1)]))!.Value.Length;
        }

        return sum;
    }
}
