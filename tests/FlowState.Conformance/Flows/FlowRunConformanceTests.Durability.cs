using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

// Per-run durability: an asynchronous run writes its steps behind, and ends exactly where a synchronous one does.
public abstract partial class FlowRunConformanceTests
{
    [Fact]
    public async Task An_async_run_ends_with_the_state_history_and_record_of_a_sync_run()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true, History = new FlowHistoryOptions() });
        var flow = new FlowBuilder("durability").Sequence(Trace("a"), Add("b", "n", 2), Trace("c"), Add("d", "n", 3)).Build();

        var sync = await runner.RunAsync(flow, new { n = 1 }, new FlowRunOptions { RunId = "sync" });
        var async = await runner.RunAsync(flow, new { n = 1 }, new FlowRunOptions { RunId = "async", Durability = FlowRunDurability.Async });

        Assert.Equal(FlowRunStatus.Completed, async.Status);
        Assert.Equal(sync.State.ToJsonString(), async.State.ToJsonString());
        Assert.Equal("""{"n":6,"trace":["a","c"]}""", async.State.ToJsonString());
        Assert.Equal(
            (await runner.GetHistoryAsync("sync")).Select(c => (c.Index, c.NodeName, c.Action)),
            (await runner.GetHistoryAsync("async")).Select(c => (c.Index, c.NodeName, c.Action)));
        var record = await runner.GetRunAsync("async");
        Assert.Equal((FlowRunStatus.Completed, 4L), (record!.Status, record.Steps));
    }
}
