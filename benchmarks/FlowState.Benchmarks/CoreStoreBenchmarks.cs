using System.Collections.Concurrent;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace FlowState.Benchmarks;

/// <summary>
/// Get and Set of the unbounded in-memory store against a <see cref="ConcurrentDictionary{TKey,TValue}"/> of bytes and
/// bare System.Text.Json, on 1 and 2 threads. Each invocation is 100,000 operations per thread.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class CoreStoreBenchmarks
{
    private const int Keys = 1024;
    private readonly string[] _keys = Enumerable.Range(0, Keys).Select(i => $"key:{i}").ToArray();
    private readonly ConcurrentDictionary<string, byte[]> _dictionary = new();
    private StateStore _store = null!;
    private IStateStore _scoped = null!;
    private byte[] _payloadJson = null!;
    private byte[][] _payloadCopies = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _store = new StateStore();
        _scoped = _store.For(StateScope.Workflow("run_1")).Scope("step");
        _payloadJson = JsonSerializer.SerializeToUtf8Bytes(Payload.Sample(1));
        _payloadCopies = new byte[Keys][];
        for (var i = 0; i < Keys; i++)
        {
            var key = _keys[i];
            _dictionary[key] = _payloadJson;
            _store.SetRawAsync(key, _payloadJson).AsTask().GetAwaiter().GetResult();
            _scoped.SetRawAsync(key, _payloadJson).AsTask().GetAwaiter().GetResult();
            _payloadCopies[i] = (byte[])_payloadJson.Clone();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("get-raw")]
    public void Dictionary_get() => ParallelRunner.Run(Threads, t =>
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            _dictionary.TryGetValue(_keys[(i + t) & (Keys - 1)], out var value);
            sum += value!.Length;
        }

        GC.KeepAlive(sum);
    });

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("get-raw")]
    public void FlowState_get_raw_global() => ParallelRunner.Run(Threads, t =>
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            sum += CompletedValueTask.Result(_store.GetEntryAsync(_keys[(i + t) & (Keys - 1)]))!.Value.Length;
        }

        GC.KeepAlive(sum);
    });

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("get-raw")]
    public void FlowState_get_raw_scoped() => ParallelRunner.Run(Threads, t =>
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            sum += CompletedValueTask.Result(_scoped.GetEntryAsync(_keys[(i + t) & (Keys - 1)]))!.Value.Length;
        }

        GC.KeepAlive(sum);
    });

    /// <summary>Deserializes each key's own copy of the value, in the order the store's reads go.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("get-typed")]
    public void Bare_deserialize() => ParallelRunner.Run(Threads, t =>
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            sum += JsonSerializer.Deserialize<Payload>(_payloadCopies[(i + t) & (Keys - 1)])!.Id;
        }

        GC.KeepAlive(sum);
    });

    /// <summary>Deserializes one array over and over (the baseline until 2026-12-07; see docs/performance.md).</summary>
    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("get-typed")]
    public void Bare_deserialize_one_array() => ParallelRunner.Run(Threads, t =>
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            sum += JsonSerializer.Deserialize<Payload>(_payloadJson)!.Id;
        }

        GC.KeepAlive(sum);
    });

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("get-typed")]
    public void FlowState_get_typed_scoped() => ParallelRunner.Run(Threads, t =>
    {
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            sum += CompletedValueTask.Result(_scoped.GetAsync<Payload>(_keys[(i + t) & (Keys - 1)]))!.Id;
        }

        GC.KeepAlive(sum);
    });

    [Benchmark(Baseline = true, OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("set-raw")]
    public void Dictionary_set_copy() => ParallelRunner.Run(Threads, t =>
    {
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            // A copy, because the store copies too (stored state is immutable).
            _dictionary[_keys[(i + t) & (Keys - 1)]] = _payloadJson.AsSpan().ToArray();
        }
    });

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("set-raw")]
    public void FlowState_set_raw_scoped() => ParallelRunner.Run(Threads, t =>
    {
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            CompletedValueTask.Result(_scoped.SetRawAsync(_keys[(i + t) & (Keys - 1)], _payloadJson));
        }
    });

    [Benchmark(Baseline = true, OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("set-typed")]
    public void Bare_serialize() => ParallelRunner.Run(Threads, t =>
    {
        var payload = Payload.Sample(t);
        long sum = 0;
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            sum += JsonSerializer.SerializeToUtf8Bytes(payload).Length;
        }

        GC.KeepAlive(sum);
    });

    [Benchmark(OperationsPerInvoke = ParallelRunner.OperationsPerThread)]
    [BenchmarkCategory("set-typed")]
    public void FlowState_set_typed_scoped() => ParallelRunner.Run(Threads, t =>
    {
        var payload = Payload.Sample(t);
        for (var i = 0; i < ParallelRunner.OperationsPerThread; i++)
        {
            CompletedValueTask.Result(_scoped.SetAsync(_keys[(i + t) & (Keys - 1)], payload));
        }
    });
}
