using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using FlowState.Flows;

namespace FlowState.Benchmarks.Flows;

/// <summary>
/// Node overhead of the flow runtime on the in-memory store: runs of a 10-node flow (each node's prep, exec and post
/// return at once) against the same 30 delegates called directly. Times are per node; target ≥ 1M nodes/s, i.e.
/// ≤ 1,000 ns per node. Each invocation is 10,000 runs per thread; one run per thread at a time.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class FlowNodeBenchmarks
{
    private const int Nodes = 10;
    private const int RunsPerThread = 10_000;
    private const int NodesPerThread = Nodes * RunsPerThread;

    private readonly Func<IStateReader?, int, ValueTask<int>>[] _preps = [.. Enumerable.Range(0, Nodes).Select(i => (Func<IStateReader?, int, ValueTask<int>>)((_, _) => ValueTask.FromResult(i)))];
    private readonly Func<int, ValueTask<int>>[] _execs = [.. Enumerable.Range(0, Nodes).Select(_ => (Func<int, ValueTask<int>>)(p => ValueTask.FromResult(p + 1)))];
    private readonly Func<IStateStore?, int, ValueTask<string?>>[] _posts = [.. Enumerable.Range(0, Nodes).Select(_ => (Func<IStateStore?, int, ValueTask<string?>>)((_, _) => ValueTask.FromResult<string?>(null)))];
    private StateStore _store = null!;
    private FlowRunner _runner = null!;
    private Flow _flow = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _store = new StateStore();
        _runner = new FlowRunner(_store);
        _flow = new FlowBuilder("ten").Sequence([.. Enumerable.Range(0, Nodes).Select(i => (FlowNode)Node.Create<int, int>(
            $"n{i}",
            prep: (state, _) => _preps[i](state, i),
            exec: (prep, _) => _execs[i](prep),
            post: (state, _, exec, _) => _posts[i](state, exec)))]).Build();
    }

    [GlobalCleanup]
    public void Cleanup() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = NodesPerThread)]
    [BenchmarkCategory("flow-node")]
    public void Direct_calls() => ParallelRunner.Run(Threads, _ =>
    {
        for (var run = 0; run < RunsPerThread; run++)
        {
            for (var i = 0; i < Nodes; i++)
            {
                var prep = CompletedValueTask.Result(_preps[i](null, i));
                var exec = CompletedValueTask.Result(_execs[i](prep));
                GC.KeepAlive(CompletedValueTask.Result(_posts[i](null, exec)));
            }
        }
    });

    [Benchmark(OperationsPerInvoke = NodesPerThread)]
    [BenchmarkCategory("flow-node")]
    public void FlowState_ten_node_flow() => ParallelRunner.Run(Threads, _ =>
    {
        for (var run = 0; run < RunsPerThread; run++)
        {
            GC.KeepAlive(_runner.RunAsync(_flow).GetAwaiter().GetResult());
        }
    });
}
