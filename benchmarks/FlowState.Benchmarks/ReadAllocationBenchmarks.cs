using System.Text.Json;
using BenchmarkDotNet.Attributes;

namespace FlowState.Benchmarks;

/// <summary>
/// Bytes allocated per read of one entry: the engine's own read (hands out the stored entry), a transaction's read of
/// a key it staged, and the entry a shared store builds from what the server returned (the client's own allocations
/// for the round trip are not in it). The baseline is the engine read.
/// </summary>
[MemoryDiagnoser]
public class ReadAllocationBenchmarks
{
    private StateStore _store = null!;
    private IStateStore _staged = null!;
    private BackendEntry _fromServer = null!;
    private StateScope _scope = null!;

    [GlobalSetup]
    public void Setup()
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(Payload.Sample(1));
        _store = new StateStore();
        _store.SetRawAsync("key", payload).AsTask().GetAwaiter().GetResult();
        _staged = _store.BeginTransaction().For(StateScope.Custom("accounts"));
        _staged.SetRawAsync("key", payload).AsTask().GetAwaiter().GetResult();
        _scope = StateScope.Custom("accounts");
        _fromServer = new BackendEntry(_scope.StorageKey, "key", payload, 7, 0, 0, false);
    }

    [GlobalCleanup]
    public void Cleanup() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public StateEntry? EngineRead() => Result(_store.GetEntryAsync("key"));

    [Benchmark]
    public StateEntry? StagedRead() => Result(_staged.GetEntryAsync("key"));

    [Benchmark]
    public StateEntry SharedReadEntry() => SharedStateEngine.ToEntry(_scope, _fromServer);

    // Both reads complete synchronously; AsTask would add a Task of its own to what is measured.
    private static StateEntry? Result(ValueTask<StateEntry?> read) => read.IsCompletedSuccessfully ? read.Result : read.AsTask().GetAwaiter().GetResult();
}
