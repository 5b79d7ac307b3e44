using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class FlowRunConformanceTests
{
    [Fact]
    public async Task Post_reads_its_own_writes_and_other_readers_see_them_only_after_post_returned()
    {
        var store = NewStore();
        var node = Node.Create("stage", async (state, context) =>
        {
            await state.SetAsync("a", 1);
            await state.MergeAsync("doc", new { x = 1 });
            await state.MergeAsync("doc", new { y = 2 });
            await context.GlobalState.SetAsync("global-a", 1);
            Assert.Equal(1, await state.GetAsync<int>("a"));
            Assert.Equal("""{"x":1,"y":2}""", (await state.GetEntryAsync("doc"))!.ToString());
            Assert.Equal(["a", "doc"], await ToListAsync(state.ListKeysAsync()));
            Assert.False(await store.For(StateScope.Workflow(context.RunId)).ExistsAsync("a"));
            Assert.False(await store.ExistsAsync("global-a"));
            return null;
        });

        var result = await NewRunner(store).RunAsync(new FlowBuilder("f").Add(node).Build(), options: new FlowRunOptions { RetainState = true });

        Assert.Equal("""{"x":1,"y":2}""", result.State["doc"]!.ToJsonString());
        Assert.Equal(1, await store.GetAsync<int>("global-a"));
    }

    [Fact]
    public async Task Post_that_throws_midway_commits_nothing()
    {
        var store = NewStore();
        var node = Node.Create("half", async (state, context) =>
        {
            await state.SetAsync("first", 1);
            await context.GlobalState.SetAsync("global", 1);
            throw new InvalidOperationException("post failed after writing");
        });
        var runner = NewRunner(store);

        await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(new FlowBuilder("f").Add(node).Build(), new { start = 0 }, new FlowRunOptions { RunId = "half" }));

        Assert.Equal(["start"], await ToListAsync(runner.Runs.Run("half").ListKeysAsync()));
        Assert.False(await store.ExistsAsync("global"));
    }

    [Fact]
    public async Task Concurrent_posts_updating_one_global_counter_lose_no_update()
    {
        var store = NewStore();
        var runner = NewRunner(store);
        var increment = Node.Create("increment", async (_, context) =>
        {
            await context.GlobalState.UpdateAsync<int>("counter", n => n + 1);
            await Task.Yield();
            await context.GlobalState.MergeAsync("doc", new Dictionary<string, int> { [context.RunId] = 1 });
            return null;
        });
        var flow = new FlowBuilder("count").Sequence(increment).Build();

        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => runner.RunAsync(flow))));

        Assert.Equal(200, await store.GetAsync<int>("counter"));
        Assert.Equal(200, (await store.GetAsync<Dictionary<string, int>>("doc"))!.Count);
    }

    [Fact]
    public async Task Clear_in_post_deletes_the_runs_fields_but_not_its_progress()
    {
        var clear = Node.Create("clear", async (state, _) =>
        {
            Assert.Equal(2, await state.CountAsync());
            Assert.Equal(2, await state.ClearAsync());
            Assert.Equal(0, await state.CountAsync());
            return null;
        });
        var flow = new FlowBuilder("f").Sequence(clear, Trace("after")).Build();

        var result = await NewRunner().RunAsync(flow, new { a = 1, b = 2 });

        Assert.Equal(["trace"], result.State.Select(p => p.Key));
    }

    [Fact]
    public async Task Batch_applied_in_post_lands_in_the_named_scopes_with_the_step()
    {
        var store = NewStore();
        var node = Node.Create("batch", async (state, context) =>
        {
            await state.ApplyAsync(state.CreateBatch().Set("x", 1).Merge("doc", new { a = 1 }).Scope("child").Set("y", 2));
            await context.StepState.ApplyAsync(context.StepState.CreateBatch().Set("z", 3));
            return null;
        });

        var result = await NewRunner(store).RunAsync(new FlowBuilder("f").Add(node).Build(), options: new FlowRunOptions { RetainState = true });

        Assert.Equal(1, result.State["x"]!.GetValue<int>());
        Assert.Equal(2, await store.For(StateScope.Workflow(result.RunId)).Scope("child").GetAsync<int>("y"));
        Assert.Equal(3, await store.For(StateScope.Step(result.RunId, "batch")).GetAsync<int>("z"));
    }

    [Fact]
    public async Task Invalid_write_in_post_fails_the_step_with_a_typed_error()
    {
        var store = NewStore(o => o.Limits = new StateLimits { MaxValueBytes = 512 });
        var node = Node.Create("big", async (state, _) =>
        {
            await state.SetAsync("small", 1);
            await state.SetAsync("big", new string('x', 1000));
            return null;
        });
        var runner = NewRunner(store);

        var error = await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(new FlowBuilder("f").Add(node).Build(), options: new FlowRunOptions { RunId = "big" }));

        Assert.IsType<StateLimitExceededException>(error.InnerException);
        Assert.False(await runner.Runs.Run("big").ExistsAsync("small"));
    }
}
