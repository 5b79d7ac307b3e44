using BitFaster.Caching.Lru;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.Caching.Memory;

namespace FlowState.Benchmarks;

/// <summary>
/// The bounded store (LRU, <see cref="StateStoreOptions.MaxEntries"/>) against BitFaster's <see cref="ConcurrentTLru{K,V}"/>
/// (the baseline) and <see cref="MemoryCache"/> (size-limited, one unit per entry), all holding the same bytes with a
/// one-hour expiry, on 1 and 2 threads. Each invocation is 100,000 operations per thread.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class BoundedStoreBenchmarks
{
    private const int Capacity = 4096;
    private const int Keys = 2048;
    private readonly string[] _keys = Enumerable.Range(0, Keys).Select(i => $"key:{i}").ToArray();
    private readonly byte[] _payloadJson = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Payload.Sample(1));
    private readonly MemoryCacheEntryOptions _cacheEntry = new() { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) };
    private ConcurrentTLru<string, byte[]> _lru = null!;
    private MemoryCache _cache = null!;
    private StateStore _store = null!;
    private IStateStore _scoped = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _lru = new ConcurrentTLru<string, byte[]>(Capacity, TimeSpan.FromHours(1));
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = Capacity });
        _store = new StateStore(new StateStoreOptions { MaxEntries = Capacity, DefaultTimeToLive = TimeSpan.FromHours(1) });
        _scoped = _store.For(StateScope.Custom("cache"));
        foreach (var key in _keys)
        {
            _lru.AddOrUpdate(key, _payloadJson);
            _cache.Set(key, _payloadJson, _cacheEntry);
            _scoped.SetRawAsync(key, _payloadJson).AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("bounded-get")]
    public void TLru_get() => ParallelRunner.Run(Threads, t =>
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            _lru.TryGet(_keys[(i + t) & (Keys - 1)], out var value);
            sum += value!.Length;
        }

        GC.KeepAlive(sum);
    });

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("bounded-get")]
    public void MemoryCache_get() => ParallelRunner.Run(Threads, t =>
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            _cache.TryGetValue(_keys[(i + t) & (Keys - 1)], out byte[]? value);
            sum += value!.Length;
        }

        GC.KeepAlive(sum);
    });

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("bounded-get")]
    public void FlowState_bounded_get() => ParallelRunner.Run(Threads, t =>
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            sum += CompletedValueTask.Result(_scoped.GetEntryAsync(_keys[(i + t) & (Keys - 1)]))!.Value.Length;
        }

        GC.KeepAlive(sum);
    });

    [Benchmark(Baseline = true, OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("bounded-set")]
    public void TLru_set() => ParallelRunner.Run(Threads, t =>
    {
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            _lru.AddOrUpdate(_keys[(i + t) & (Keys - 1)], _payloadJson.AsSpan().ToArray());
        }
    });

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("bounded-set")]
    public void MemoryCache_set() => ParallelRunner.Run(Threads, t =>
    {
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            _cache.Set(_keys[(i + t) & (Keys - 1)], _payloadJson.AsSpan().ToArray(), _cacheEntry);
        }
    });

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("bounded-set")]
    public void FlowState_bounded_set() => ParallelRunner.Run(Threads, t =>
    {
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            CompletedValueTask.Result(_scoped.SetRawAsync(_keys[(i + t) & (Keys - 1)], _payloadJson));
        }
    });
}
