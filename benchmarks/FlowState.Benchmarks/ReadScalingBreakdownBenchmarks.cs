using BenchmarkDotNet.Attributes;

namespace FlowState.Benchmarks;

/// <summary>
/// Where a two-thread read's time goes: the reads of <see cref="CoreStoreBenchmarks"/> (1,024 keys, both threads
/// walking the same keys) on the global store with access statistics (the default), without them, and on a bounded
/// store (an LRU stamp per read). Ratios are against the default store on the same number of threads.
/// </summary>
public class ReadScalingBreakdownBenchmarks
{
    private const int Keys = 1024;
    private readonly string[] _keys = Enumerable.Range(0, Keys).Select(i => $"key:{i}").ToArray();
    private readonly byte[] _payloadJson = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Payload.Sample(1));
    private readonly List<StateStore> _stores = [];
    private IStateStore _default = null!;
    private IStateStore _withoutStatistics = null!;
    private IStateStore _bounded = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _default = Open(new StateStoreOptions());
        _withoutStatistics = Open(new StateStoreOptions { TrackAccessStatistics = false });
        _bounded = Open(new StateStoreOptions { MaxEntries = 4096 });
        foreach (var key in _keys)
        {
            foreach (var store in new[] { _default, _withoutStatistics, _bounded })
            {
                store.SetRawAsync(key, _payloadJson).AsTask().GetAwaiter().GetResult();
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _stores.ForEach(store => store.DisposeAsync().AsTask().GetAwaiter().GetResult());

    [Benchmark(Baseline = true, OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    public void Default_get() => Read(_default);

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    public void Without_statistics_get() => Read(_withoutStatistics);

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    public void Bounded_get() => Read(_bounded);

    private StateStore Open(StateStoreOptions options)
    {
        var store = new StateStore(options);
        _stores.Add(store);
        return store;
    }

    private void Read(IStateStore store) => ParallelRunner.Run(Threads, t =>
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            sum += CompletedValueTask.Result(store.GetEntryAsync(_keys[(i + t) & (Keys - 1)]))!.Value.Length;
        }

        GC.KeepAlive(sum);
    });
}
