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
        _plain = Filled(new StateStoreOptions());
        _timeToLive = Filled(new StateStoreOptions { DefaultTimeToLive = TimeSpan.FromHours(1) });
        _bounded = Filled(new StateStoreOptions { MaxEntries = 4096 });
        _boundedWithTimeToLive = Filled(new StateStoreOptions { MaxEntries = 4096, DefaultTimeToLive = TimeSpan.FromHours(1) });
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

    private IStateStore Filled(StateStoreOptions options)
    {
        var store = new StateStore(options);
        _stores.Add(store);
        var scoped = store.For(StateScope.Custom("cache"));
        foreach (var key in _keys)
        {
            scoped.SetRawAsync(key, _payloadJson).AsTask().GetAwaiter().GetResult();
        }

        return scoped;
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
