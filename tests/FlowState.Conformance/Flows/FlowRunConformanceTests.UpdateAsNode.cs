using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>UpdateStateAsync(asNode): an update that counts as a node's step moves the run past that node.</summary>
public abstract partial class FlowRunConformanceTests
{
    [Fact]
    public async Task Updating_as_a_node_moves_the_run_past_that_node_without_running_it()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        await runner.RunAsync(Pipeline(), options: new FlowRunOptions { RunId = "as-node", InterruptBefore = ["draft"] });

        await runner.UpdateStateAsync("as-node", new { draft = "written by a person" }, asNode: "draft");
        var info = await runner.GetRunAsync("as-node");
        var done = await runner.ResumeAsync(Pipeline(), "as-node");

        Assert.Equal((FlowRunStatus.Running, null), (info!.Status, info.InterruptedAt));
        Assert.Equal(FlowRunStatus.Completed, done.Status);
        Assert.Equal("""["research","publish"]""", done.State["trace"]!.ToJsonString());
        Assert.Equal("written by a person", done.State["draft"]!.GetValue<string>());
        Assert.Equal(0, await store.GetAsync<int>("posts/as-node/draft"));
        await AssertEachPostRanOnceAsync(store, "as-node", "research", "publish");
    }

    [Fact]
    public async Task Updating_as_a_node_of_the_nested_flow_the_run_was_interrupted_in_moves_that_flow_past_it()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        static Flow Outer() => new FlowBuilder("outer").Sequence(
            Counted("intake"),
            new FlowBuilder("editing").Sequence(Counted("draft"), Counted("review"), Counted("polish")).Build(),
            Counted("archive")).Build();
        var stopped = await runner.RunAsync(Outer(), options: new FlowRunOptions { RunId = "nested-as", InterruptBefore = ["review"] });

        await runner.UpdateStateAsync("nested-as", new { review = "approved by phone" }, asNode: "review");
        var info = await runner.GetRunAsync("nested-as");
        var done = await runner.ResumeAsync(Outer(), "nested-as");

        Assert.Equal(FlowRunStatus.Interrupted, stopped.Status);
        Assert.Equal((FlowRunStatus.Running, null), (info!.Status, info.InterruptedAt));
        Assert.Equal(FlowRunStatus.Completed, done.Status);
        Assert.Equal("""["intake","draft","polish","archive"]""", done.State["trace"]!.ToJsonString());
        Assert.Equal("approved by phone", done.State["review"]!.GetValue<string>());
        Assert.Equal(0, await store.GetAsync<int>("posts/nested-as/review"));
        await AssertEachPostRanOnceAsync(store, "nested-as", "intake", "draft", "polish", "archive");
    }

    [Fact]
    public async Task Updating_as_the_last_node_of_a_nested_flow_ends_that_flow_and_the_run_goes_on_after_it()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        static Flow Outer() => new FlowBuilder("outer").Sequence(
            Counted("intake"),
            new FlowBuilder("editing").Sequence(Counted("draft"), Counted("review")).Build(),
            Counted("archive")).Build();
        await runner.RunAsync(Outer(), options: new FlowRunOptions { RunId = "nested-last", InterruptBefore = ["review"] });

        await runner.UpdateStateAsync("nested-last", new { review = "skipped" }, asNode: "review");
        var done = await runner.ResumeAsync(Outer(), "nested-last");

        Assert.Equal("""["intake","draft","archive"]""", done.State["trace"]!.ToJsonString());
        await AssertEachPostRanOnceAsync(store, "nested-last", "intake", "draft", "archive");
    }

    [Fact]
    public async Task Updating_as_a_node_with_an_action_follows_that_action_s_edge()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        var gate = ApprovalGate();
        var flow = new FlowBuilder("as-node-action").Sequence(Counted("draft"), gate).Connect(gate, Counted("publish"), "yes").Connect(gate, Counted("discard"), "no").Build();
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "as-no" });

        await runner.UpdateStateAsync("as-no", new { verdict = "rejected by phone" }, asNode: "approve", action: "no");
        var done = await runner.ResumeAsync(flow, "as-no");

        Assert.Equal("""["draft","discard"]""", done.State["trace"]!.ToJsonString());
        Assert.Equal(0, await store.GetAsync<int>("posts/as-no/approve"));
    }

    [Fact]
    public async Task Updating_as_the_last_node_ends_the_flow_there()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        await runner.RunAsync(Pipeline(), options: new FlowRunOptions { RunId = "as-last", InterruptBefore = ["publish"] });

        await runner.UpdateStateAsync("as-last", new { published = "by hand" }, asNode: "publish");
        var done = await runner.ResumeAsync(Pipeline(), "as-last");

        Assert.Equal((FlowRunStatus.Completed, "default"), (done.Status, done.Action));
        Assert.Equal("""["research","draft"]""", done.State["trace"]!.ToJsonString());
    }

    [Fact]
    public async Task Updating_as_a_node_the_flow_lacks_or_after_completion_is_refused_and_changes_nothing()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = true, RetainCompletedRuns = true });
        await runner.RunAsync(Pipeline(), options: new FlowRunOptions { RunId = "as-bad", InterruptBefore = ["draft"] });
        await runner.RunAsync(Pipeline(), options: new FlowRunOptions { RunId = "as-done" });

        var unknown = await Assert.ThrowsAsync<ArgumentException>(async () => await runner.UpdateStateAsync("as-bad", new { x = 1 }, asNode: "drafts"));
        var noEdge = await Assert.ThrowsAsync<ArgumentException>(async () => await runner.UpdateStateAsync("as-bad", new { x = 1 }, asNode: "draft", action: "maybe"));
        var completed = await Assert.ThrowsAsync<FlowException>(async () => await runner.UpdateStateAsync("as-done", new { x = 1 }, asNode: "draft"));

        Assert.Contains("'drafts' is no node of flow 'drafting' (the run's top level) nor of the nested flow the run was interrupted in; its nodes are", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("has no edge for action 'maybe'", noEdge.Message, StringComparison.Ordinal);
        Assert.Contains("has completed; it has no position to move", completed.Message, StringComparison.Ordinal);
        Assert.False(await store.For(StateScope.Workflow("as-bad")).ExistsAsync("x"));
        Assert.Equal("draft", (await runner.GetRunAsync("as-bad"))!.InterruptedAt);
    }
}
