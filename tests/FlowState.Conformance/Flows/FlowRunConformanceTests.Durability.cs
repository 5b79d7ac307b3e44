using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

// Per-run durability: a run whose steps are written behind, or at its end, ends exactly where a synchronous one does.
public abstract partial class FlowRunConformanceTests
{
    [Theory]
    [InlineData(FlowRunDurability.Async)]
    [InlineData(FlowRunDurability.Exit)]
    public async Task A_run_written_behind_or_at_its_end_ends_with_the_state_history_and_record_of_a_sync_run(FlowRunDurability durability)
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true, History = new FlowHistoryOptions() });
        var flow = new FlowBuilder("durability").Sequence(Trace("a"), Add("b", "n", 2), Trace("c"), Add("d", "n", 3)).Build();

        var sync = await runner.RunAsync(flow, new { n = 1 }, new FlowRunOptions { RunId = "sync" });
        var other = await runner.RunAsync(flow, new { n = 1 }, new FlowRunOptions { RunId = "other", Durability = durability });

        Assert.Equal(FlowRunStatus.Completed, other.Status);
        Assert.Equal(sync.State.ToJsonString(), other.State.ToJsonString());
        Assert.Equal("""{"n":6,"trace":["a","c"]}""", other.State.ToJsonString());
        Assert.Equal(
            (await runner.GetHistoryAsync("sync")).Select(c => (c.Index, c.NodeName, c.Action)),
            (await runner.GetHistoryAsync("other")).Select(c => (c.Index, c.NodeName, c.Action)));
        var record = await runner.GetRunAsync("other");
        Assert.Equal((FlowRunStatus.Completed, 4L), (record!.Status, record.Steps));
    }

    [Fact]
    public async Task A_run_that_writes_at_its_end_and_is_interrupted_resumes_from_where_it_stopped()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true, RecordProgress = true });
        var flow = new FlowBuilder("exit-interrupted").Sequence(Trace("a"), Trace("b"), Trace("c")).Build();

        var stopped = await runner.RunAsync(flow, null, new FlowRunOptions { RunId = "exit-stop", Durability = FlowRunDurability.Exit, InterruptBefore = ["c"] });
        var done = await runner.ResumeAsync(flow, "exit-stop", new FlowRunOptions { Durability = FlowRunDurability.Exit });

        Assert.Equal(FlowRunStatus.Interrupted, stopped.Status);
        Assert.Equal("""["a","b"]""", stopped.State["trace"]!.ToJsonString());
        Assert.Equal("""["a","b","c"]""", done.State["trace"]!.ToJsonString());
    }
}
