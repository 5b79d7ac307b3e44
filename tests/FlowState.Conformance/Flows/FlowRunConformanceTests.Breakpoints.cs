using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>Static breakpoints (LangGraph's interrupt_before / interrupt_after), set per call of the runner.</summary>
public abstract partial class FlowRunConformanceTests
{
    private static Flow Pipeline() => new FlowBuilder("drafting").Sequence(Counted("research"), Counted("draft"), Counted("publish")).Build();

    [Fact]
    public async Task A_breakpoint_before_a_node_stops_the_run_there_and_resuming_runs_that_node_once()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);

        var stopped = await runner.RunAsync(Pipeline(), options: new FlowRunOptions { RunId = "bp-before", InterruptBefore = ["draft"] });
        var info = await runner.GetRunAsync("bp-before");
        // What a reviewer changes while the run waits is what the next step sees.
        await store.For(StateScope.Workflow("bp-before")).SetAsync("tone", "formal");
        var done = await runner.ResumeAsync(Pipeline(), "bp-before", new FlowRunOptions { InterruptBefore = ["draft"] });

        Assert.Equal((FlowRunStatus.Interrupted, "breakpoint before 'draft'"), (stopped.Status, stopped.InterruptReason));
        Assert.Equal("""["research"]""", stopped.State["trace"]!.ToJsonString());
        Assert.Equal("draft", info!.InterruptedAt);
        Assert.Equal(FlowRunStatus.Completed, done.Status);
        Assert.Equal("""["research","draft","publish"]""", done.State["trace"]!.ToJsonString());
        Assert.Equal("formal", done.State["tone"]!.GetValue<string>());
        await AssertEachPostRanOnceAsync(store, "bp-before", "research", "draft", "publish");
    }

    [Fact]
    public async Task A_breakpoint_after_a_node_stops_once_it_committed_and_each_resume_can_set_new_breakpoints()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);

        var first = await runner.RunAsync(Pipeline(), options: new FlowRunOptions { RunId = "bp-after", InterruptAfter = ["research"] });
        var second = await runner.ResumeAsync(Pipeline(), "bp-after", new FlowRunOptions { InterruptAfter = ["draft", "publish"] });
        var done = await runner.ResumeAsync(Pipeline(), "bp-after", new FlowRunOptions { InterruptAfter = ["draft", "publish"] });

        Assert.Equal((FlowRunStatus.Interrupted, "breakpoint after 'research'", """["research"]"""), (first.Status, first.InterruptReason, first.State["trace"]!.ToJsonString()));
        Assert.Equal((FlowRunStatus.Interrupted, "breakpoint after 'draft'", """["research","draft"]"""), (second.Status, second.InterruptReason, second.State["trace"]!.ToJsonString()));
        Assert.Equal(FlowRunStatus.Completed, done.Status);
        Assert.Equal("""["research","draft","publish"]""", done.State["trace"]!.ToJsonString());
        await AssertEachPostRanOnceAsync(store, "bp-after", "research", "draft", "publish");
    }

    [Fact]
    public async Task A_breakpoint_on_a_node_of_a_nested_flow_stops_inside_it()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        var inner = new FlowBuilder("inner").Sequence(Counted("fetch"), Counted("parse")).Build();
        var flow = new FlowBuilder("outer").Sequence(Counted("start"), inner, Counted("finish")).Build();

        var stopped = await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "bp-nested", InterruptBefore = ["parse"] });
        var done = await runner.ResumeAsync(flow, "bp-nested");

        Assert.Equal((FlowRunStatus.Interrupted, "breakpoint before 'parse'", """["start","fetch"]"""), (stopped.Status, stopped.InterruptReason, stopped.State["trace"]!.ToJsonString()));
        Assert.Equal("""["start","fetch","parse","finish"]""", done.State["trace"]!.ToJsonString());
        await AssertEachPostRanOnceAsync(store, "bp-nested", "start", "fetch", "parse", "finish");
    }

    [Fact]
    public async Task A_breakpoint_naming_no_node_of_the_flow_is_refused_before_the_run_starts()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync(Pipeline(), options: new FlowRunOptions { RunId = "bp-typo", InterruptBefore = ["drafts"] }));

        Assert.Contains("FlowRunOptions.InterruptBefore names 'drafts', which is no node of flow 'drafting'; its nodes are 'draft', 'publish', 'research'", error.Message, StringComparison.Ordinal);
        Assert.Null(await runner.GetRunAsync("bp-typo"));
    }
}
