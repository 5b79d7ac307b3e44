using System.Text.Json.Nodes;
using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class FlowRunConformanceTests
{
    private FlowRunner HistoryRunner(StateStore store, FlowHistoryOptions? history = null) =>
        new(store, new FlowRunnerOptions { History = history ?? new FlowHistoryOptions(), RetainCompletedRuns = true });

    /// <summary>A loop that sets field <c>f{i}</c> (and its step's <c>last</c>) at iteration i, <paramref name="iterations"/> times.</summary>
    private static Flow FieldLoop(int iterations)
    {
        var add = Node.Create("add", async (state, context) =>
        {
            var i = await state.UpdateAsync<int>("i", n => n + 1);
            await state.SetAsync($"f{i}", i * 10);
            await context.StepState.SetAsync("last", i);
            return i < iterations ? "again" : "done";
        });
        return new FlowBuilder("fields").Connect(add, add, "again").Connect(add, Node.Create("end", (_, _) => ValueTask.FromResult<string?>(null)), "done").Build();
    }

    [Fact]
    public async Task History_keeps_each_step_as_a_checkpoint_of_its_changes_and_rebuilds_the_state_at_any_step()
    {
        var store = NewStore();
        var runner = HistoryRunner(store);

        await runner.RunAsync(FieldLoop(3), new { title = "t" }, new FlowRunOptions { RunId = "h1" });
        var history = await runner.GetHistoryAsync("h1");

        Assert.Equal([0L, 1, 2, 3, 4], history.Select(c => c.Index));
        Assert.Equal([null, "add", "add", "add", "end"], history.Select(c => c.NodeName));
        Assert.Equal([null, "again", "again", "done", "default"], history.Select(c => c.Action));
        Assert.Equal(["title"], history[0].Changes.Select(c => c.Key));
        Assert.Equal(["f2", "i", "last"], history[2].Changes.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.Equal("add", history[2].Changes.Single(c => c.Key == "last").Step);
        Assert.Empty(history[4].Changes);
        Assert.Equal("""{"title":"t"}""", (await runner.GetStateAtAsync("h1", 0)).ToJsonString());
        Assert.Equal("""{"f1":10,"f2":20,"i":2,"title":"t"}""", (await runner.GetStateAtAsync("h1", 2)).ToJsonString());
        Assert.Equal(Sorted(await runner.Runs.GetStateAsync("h1")), (await runner.GetStateAtAsync("h1", 4)).ToJsonString());
    }

    [Fact]
    public async Task A_thousand_step_run_stores_deltas_not_a_copy_of_the_state_per_step()
    {
        var store = NewStore();
        var runner = HistoryRunner(store);

        await runner.RunAsync(FieldLoop(1000), options: new FlowRunOptions { RunId = "long" });
        var history = await runner.GetHistoryAsync("long");

        Assert.Equal(1002, history.Count);
        Assert.All(history.Skip(1).SkipLast(1), c => Assert.Equal(3, c.Changes.Count));
        var checkpointBytes = 0L;
        await foreach (var key in store.ListAllAsync("checkpoint:"))
        {
            checkpointBytes += (await store.For(key.Scope).GetEntryAsync(key.Key))!.Size;
        }

        // A copy of the state per step would be about 1000 × 500 fields × 12 bytes = 6 MB.
        Assert.InRange(checkpointBytes, 1, 400_000);
        Assert.Equal(1000 * 10, (await runner.GetStateAtAsync("long", 1000))["f1000"]!.GetValue<int>());
        Assert.Equal(500, (await runner.GetStateAtAsync("long", 500)).Count - 1);
    }

    [Fact]
    public async Task Retention_by_count_folds_old_checkpoints_into_a_base_and_keeps_every_kept_state_exact()
    {
        var store = NewStore();
        var full = HistoryRunner(store);
        var kept = HistoryRunner(store, new FlowHistoryOptions { MaxCheckpoints = 3 });
        await full.RunAsync(FieldLoop(6), new { title = "t" }, new FlowRunOptions { RunId = "all" });
        await kept.RunAsync(FieldLoop(6), new { title = "t" }, new FlowRunOptions { RunId = "last3" });

        var history = await kept.GetHistoryAsync("last3");

        Assert.Equal([5L, 6, 7], history.Select(c => c.Index));
        foreach (var index in new long[] { 4, 5, 6, 7 })
        {
            Assert.Equal((await full.GetStateAtAsync("all", index)).ToJsonString(), (await kept.GetStateAtAsync("last3", index)).ToJsonString());
        }

        var folded = await Assert.ThrowsAsync<FlowException>(async () => await kept.GetStateAtAsync("last3", 3));
        Assert.Contains("5–7", folded.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retention_by_age_folds_checkpoints_older_than_the_limit_but_never_the_newest()
    {
        var store = NewStore();
        var runner = HistoryRunner(store, new FlowHistoryOptions { MaxAge = TimeSpan.FromMinutes(10) });
        var slow = Node.Create("slow", async (state, _) =>
        {
            var i = await state.UpdateAsync<int>("i", n => n + 1);
            Clock.Advance(TimeSpan.FromMinutes(6));
            return i < 5 ? "again" : "done";
        });
        var flow = new FlowBuilder("aging").Connect(slow, slow, "again").Connect(slow, Node.Create("end", (_, _) => ValueTask.FromResult<string?>(null)), "done").Build();

        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "aged" });
        var history = await runner.GetHistoryAsync("aged");

        // Step k of 1–5 commits at minute 6k (its post moves the clock first) and step 6 ("end") at minute 30; at that
        // commit the limit is minute 20, so checkpoints 0–3 are folded and 4, 5 and 6 stay.
        Assert.Equal([4L, 5, 6], history.Select(c => c.Index));
        Assert.Equal(5, (await runner.GetStateAtAsync("aged", 5))["i"]!.GetValue<int>());
        Assert.Equal(3, (await runner.GetStateAtAsync("aged", 3))["i"]!.GetValue<int>()); // the base: the state as of the last folded step
        await Assert.ThrowsAsync<FlowException>(async () => await runner.GetStateAtAsync("aged", 2));
    }

    [Fact]
    public async Task Deleted_field_is_a_change_without_value_and_is_gone_from_later_and_folded_states()
    {
        var store = NewStore();
        var full = HistoryRunner(store);
        var folding = HistoryRunner(store, new FlowHistoryOptions { MaxCheckpoints = 1 });
        var drop = Node.Create("drop", async (state, _) =>
        {
            await state.DeleteAsync("temp");
            await state.SetAsync("kept", true);
            return null;
        });
        var flow = new FlowBuilder("drop").Sequence(drop, Trace("after")).Build();

        await full.RunAsync(flow, new { temp = 1, other = 2 }, new FlowRunOptions { RunId = "d-full" });
        await folding.RunAsync(flow, new { temp = 1, other = 2 }, new FlowRunOptions { RunId = "d-fold" });

        var deleted = (await full.GetHistoryAsync("d-full"))[1].Changes.Single(c => c.Key == "temp");
        Assert.Null(deleted.Value);
        Assert.True((await full.GetStateAtAsync("d-full", 0)).ContainsKey("temp"));
        Assert.Equal("""{"kept":true,"other":2}""", (await full.GetStateAtAsync("d-full", 1)).ToJsonString());
        Assert.Equal([2L], (await folding.GetHistoryAsync("d-fold")).Select(c => c.Index));
        Assert.Equal("""{"kept":true,"other":2}""", (await folding.GetStateAtAsync("d-fold", 1)).ToJsonString());
    }

    [Fact]
    public async Task Without_history_there_are_no_checkpoints()
    {
        var runner = new FlowRunner(NewStore(), new FlowRunnerOptions { RecordProgress = true, RetainCompletedRuns = true });

        await runner.RunAsync(FieldLoop(2), options: new FlowRunOptions { RunId = "plain" });

        Assert.Empty(await runner.GetHistoryAsync("plain"));
        await Assert.ThrowsAsync<FlowException>(async () => await runner.GetStateAtAsync("plain", 1));
    }

    private static string Sorted(JsonObject state) =>
        new JsonObject(state.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))).ToJsonString();
}
