using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class FlowRunConformanceTests
{
    [Fact]
    public async Task Each_run_has_its_own_state_each_step_its_private_state_and_global_state_is_shared()
    {
        var store = NewStore();
        var node = Node.Create("work", async (state, context) =>
        {
            var runs = await context.GlobalState.UpdateAsync<int>("runs", n => n + 1);
            var visits = await context.StepState.UpdateAsync<int>("visits", n => n + 1);
            await state.SetAsync("seen", new { runs, visits, run = context.RunId });
            return null;
        });
        var runner = NewRunner(store);
        var flow = new FlowBuilder("f").Add(node).Build();
        var options = new FlowRunOptions { RetainState = true };

        var first = await runner.RunAsync(flow, options: options);
        var second = await runner.RunAsync(flow, options: options);

        Assert.NotEqual(first.RunId, second.RunId);
        Assert.Equal(2, await store.GetAsync<int>("runs"));
        Assert.Equal(1, await store.For(StateScope.Step(first.RunId, "work")).GetAsync<int>("visits"));
        Assert.Equal(1, await store.For(StateScope.Step(second.RunId, "work")).GetAsync<int>("visits"));
        Assert.Equal(first.RunId, first.State["seen"]!["run"]!.GetValue<string>());
        Assert.Equal(second.RunId, second.State["seen"]!["run"]!.GetValue<string>());
    }

    [Fact]
    public async Task Completed_run_is_cleaned_up_unless_retention_is_asked_for()
    {
        var store = NewStore();
        var runner = NewRunner(store);
        var flow = new FlowBuilder("f").Add(Trace("only")).Build();

        var cleaned = await runner.RunAsync(flow, new { input = 1 });
        var kept = await runner.RunAsync(flow, new { input = 2 }, new FlowRunOptions { RetainState = true });

        Assert.Equal(0, await store.For(StateScope.Workflow(cleaned.RunId)).CountAsync());
        Assert.Null(await runner.GetRunAsync(cleaned.RunId));
        Assert.Equal("""["only"]""", (await runner.Runs.GetStateAsync(kept.RunId))["trace"]!.ToJsonString());
        var info = await runner.GetRunAsync(kept.RunId);
        Assert.Equal((FlowRunStatus.Completed, "f"), (info!.Status, info.FlowName));
    }

    [Fact]
    public async Task Run_state_holds_the_initial_state_and_only_top_level_fields()
    {
        var runner = NewRunner();
        var flow = new FlowBuilder("f").Add(Trace("t")).Build();

        var result = await runner.RunAsync(flow, new { doc = new { title = "T", pages = 3 }, tags = new[] { "a" } }, new FlowRunOptions { RetainState = true });

        Assert.Equal(["doc", "tags", "trace"], result.State.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["doc", "tags", "trace"], await ToListAsync(runner.Runs.Run(result.RunId).ListKeysAsync()));
    }

    [Fact]
    public async Task Starting_a_run_with_an_id_in_use_is_refused()
    {
        var runner = NewRunner();
        var flow = new FlowBuilder("f").Add(Trace("t")).Build();
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "same", RetainState = true });

        var error = await Assert.ThrowsAsync<FlowException>(() => runner.RunAsync(flow, options: new FlowRunOptions { RunId = "same" }));

        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_thousand_concurrent_runs_never_see_each_others_state()
    {
        var store = NewStore();
        var runner = NewRunner(store);
        var write = Node.Create("write", async (state, context) =>
        {
            await state.SetAsync("mine", context.RunId);
            await context.StepState.SetAsync("mine", context.RunId);
            return null;
        });
        var check = Node.Create("check", async (state, context) =>
        {
            var keys = await ToListAsync(state.ListKeysAsync());
            var ok = keys.SequenceEqual(["id", "mine"])
                && await state.GetAsync<string>("mine") == context.RunId
                && await state.GetAsync<string>("id") == context.RunId
                && await context.StepState.CountAsync() == 0;
            await state.SetAsync("isolated", ok);
            return null;
        });
        var flow = new FlowBuilder("isolation").Sequence(write, check).Build();

        var results = await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => Task.Run(() =>
            runner.RunAsync(flow, new { id = $"iso_{i}" }, new FlowRunOptions { RunId = $"iso_{i}" }))));

        Assert.All(results, r => Assert.True(r.State["isolated"]!.GetValue<bool>(), r.RunId));
        Assert.Equal(2000, results.Select(r => r.RunId).Distinct().Count());
        Assert.Equal(0, await store.CountAsync());
    }
}
