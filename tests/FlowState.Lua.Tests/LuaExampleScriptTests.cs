using System.Text.Json;
using FlowState.Conformance;
using Xunit;

namespace FlowState.Lua.Tests;

/// <summary>The scripts under <c>examples/lua</c> run unchanged, and do what they say.</summary>
public sealed class LuaExampleScriptTests
{
    private readonly StateStore _store = new();

    private IStateStore Global => _store.For(StateScope.Global);

    private LuaScriptHost Host => new(_store);

    private static string Example(string name) => Path.Combine(TestServerScripts.RepositoryRoot, "examples", "lua", name);

    private static LuaScriptContext With(string json)
    {
        using var document = JsonDocument.Parse(json);
        return new LuaScriptContext { Arguments = document.RootElement.Clone() };
    }

    [Fact]
    public async Task Counter_counts_every_run_including_concurrent_ones()
    {
        var first = await Host.RunFileAsync(Example("counter.lua"));
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Host.RunFileAsync(Example("counter.lua")))));

        Assert.Equal("1", first.Values[0].GetRawText());
        Assert.Equal("run number 1\n", first.Output);
        Assert.Equal(7, await Global.GetAsync<int>("runs"));
        Assert.Equal(7, await Global.GetAsync<int>("visits"));
    }

    [Fact]
    public async Task Cache_computes_on_a_miss_and_serves_the_stored_result_after()
    {
        var miss = await Host.RunFileAsync(Example("cache.lua"), With("""{"n": 10}"""));
        var hit = await Host.RunFileAsync(Example("cache.lua"), With("""{"n": 10}"""));

        Assert.Equal(["385", "false"], miss.Values.Select(v => v.GetRawText()));
        Assert.Equal(["385", "true"], hit.Values.Select(v => v.GetRawText()));
        var entry = await Global.GetEntryAsync("cache:square_sum:10");
        Assert.NotNull(entry?.ExpiresAt);
    }

    [Fact]
    public async Task Progress_records_each_item_and_a_rerun_goes_on_from_the_saved_progress()
    {
        await Global.SetAsync("progress:import", new { current = 7, total = 10, percent = 70, timestamp = 0 });

        var result = await Host.RunFileAsync(Example("progress.lua"), With("""{"job": "import", "total": 10}"""));

        Assert.Equal("100", result.Values[0].GetRawText());
        using var progress = JsonDocument.Parse((await Global.GetEntryAsync("progress:import"))!.Value);
        Assert.Equal(10, progress.RootElement.GetProperty("current").GetInt32());
        Assert.True(progress.RootElement.GetProperty("timestamp").GetInt64() > 1_700_000_000);
        Assert.Equal("import: 10 of 10 (100%)\n", result.Output);
    }

    [Fact]
    public async Task Progress_committed_every_five_items_survives_a_failure_after_it()
    {
        // The example with a failure at its end: its explicit commits (after items 5 and 10) stay, items 11 and 12 do not.
        var source = await File.ReadAllTextAsync(Example("progress.lua"));
        Assert.Contains("local done = State.get(key)", source, StringComparison.Ordinal);
        var failing = source.Replace("local done = State.get(key)", "error('the job failed after its last item')", StringComparison.Ordinal);

        await Assert.ThrowsAsync<ScriptException>(() => Host.RunAsync(failing, With("""{"job": "export", "total": 12}""")));

        using var progress = JsonDocument.Parse((await Global.GetEntryAsync("progress:export"))!.Value);
        Assert.Equal(10, progress.RootElement.GetProperty("current").GetInt32());
    }

    [Fact]
    public async Task Branches_finishing_together_are_joined_exactly_once()
    {
        const int Branches = 6;
        using var start = new Barrier(Branches);

        var results = await Task.WhenAll(Enumerable.Range(1, Branches).Select(branch => Task.Run(() =>
        {
            start.SignalAndWait();
            return Host.RunFileAsync(Example("branch-completion.lua"), With($$"""{"branch": {{branch}}, "branches": {{Branches}}}"""));
        })));

        Assert.Single(results, r => r.Values[0].GetBoolean());
        Assert.Equal(Branches, await Global.GetAsync<int>("branches_finished"));
        Assert.True(await Global.ExistsAsync("all_branches_complete"));
        for (var i = 1; i <= Branches; i++)
        {
            Assert.True(await Global.GetAsync<bool>($"branch_{i}_complete"));
        }
    }
}
