using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using FlowState.Lua;

namespace FlowState.Benchmarks.Lua;

/// <summary>
/// The cost of running a Lua script through <see cref="LuaScriptHost"/> (a fresh sandboxed Lua state per run, budgets,
/// one transaction) beside the same state work done in C# in a transaction: the counter pattern (read, add one,
/// write, commit) and a script that does nothing (the fixed cost of a run).
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class LuaScriptBenchmarks
{
    private const string Counter = "State.update('n', function(v) return (v or 0) + 1 end)";

    private StateStore _store = null!;
    private LuaScriptHost _host = null!;

    [GlobalSetup]
    public void Setup()
    {
        _store = new StateStore();
        _host = new LuaScriptHost(_store);
    }

    [GlobalCleanup]
    public void Cleanup() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("lua-counter")]
    public async Task<long> CSharp_counter_in_a_transaction()
    {
        var transaction = _store.BeginTransaction();
        await transaction.For(StateScope.Global).UpdateAsync<long>("n", v => v + 1);
        return await transaction.CommitAsync();
    }

    [Benchmark]
    [BenchmarkCategory("lua-counter")]
    public async Task<long> Lua_counter_script() => (await _host.RunAsync(Counter)).Version;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("lua-empty")]
    public async Task<long> CSharp_empty_transaction() => await _store.BeginTransaction().CommitAsync();

    [Benchmark]
    [BenchmarkCategory("lua-empty")]
    public async Task<long> Lua_script_that_does_nothing() => (await _host.RunAsync("return 1")).Version;
}
