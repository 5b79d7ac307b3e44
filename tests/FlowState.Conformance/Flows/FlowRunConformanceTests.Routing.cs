using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>Resuming an interrupted run at another node (LangGraph's Command(goto=…)) with an answer.</summary>
public abstract partial class FlowRunConformanceTests
{
    private static Flow Review()
    {
        var gate = ApprovalGate();
        var revise = Node.Create<string?, bool>(
            "revise",
            prep: (_, context) => ValueTask.FromResult(context.GetResumeInput<Approval>()?.By),
            exec: (_, _) => ValueTask.FromResult(true),
            post: async (state, by, _, context) =>
            {
                await context.GlobalState.UpdateAsync<int>($"posts/{context.RunId}/revise", n => n + 1);
                await state.UpdateAsync<List<string>>("trace", t => [.. t ?? [], "revise"]);
                await state.SetAsync("revisedBy", by);
                return null;
            });
        return new FlowBuilder("routed-review").Sequence(Counted("draft"), gate).Connect(gate, Counted("publish"), "yes").Connect(gate, revise, "no").Build();
    }

    [Fact]
    public async Task Resuming_at_another_node_skips_the_interrupted_one_and_hands_the_answer_to_the_routed_one()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        var stopped = await runner.RunAsync(Review(), options: new FlowRunOptions { RunId = "goto" });

        var done = await runner.ResumeAsync(Review(), "goto", new FlowRunOptions { ResumeAt = "revise", ResumeInput = new Approval(false, "grace") });

        Assert.Equal(FlowRunStatus.Interrupted, stopped.Status);
        Assert.Equal(FlowRunStatus.Completed, done.Status);
        Assert.Equal("""["draft","revise"]""", done.State["trace"]!.ToJsonString());
        Assert.Equal("grace", done.State["revisedBy"]!.GetValue<string>());
        Assert.Equal(0, await store.GetAsync<int>("posts/goto/approve"));
        await AssertEachPostRanOnceAsync(store, "goto", "draft", "revise");
    }

    [Fact]
    public async Task A_route_is_kept_with_the_run_until_the_routed_step_commits()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        var down = true;
        var gate = ApprovalGate();
        var flow = new FlowBuilder("routed-retry").Sequence(Counted("draft"), gate).Connect(gate, Counted("publish"), "yes").Connect(gate, Counted("fix", () => down), "no").Build();
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "goto-kept" });

        await Assert.ThrowsAsync<FlowStepException>(() => runner.ResumeAsync(flow, "goto-kept", new FlowRunOptions { ResumeAt = "fix" }));
        down = false;
        var done = await runner.ResumeAsync(flow, "goto-kept");

        Assert.Equal("""["draft","fix"]""", done.State["trace"]!.ToJsonString());
        Assert.Equal(0, await store.GetAsync<int>("posts/goto-kept/approve"));
    }

    [Fact]
    public async Task A_route_is_refused_for_a_run_that_was_not_interrupted_or_to_a_node_the_flow_lacks()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        await runner.RunAsync(Review(), options: new FlowRunOptions { RunId = "goto-bad" });
        var failing = new FlowBuilder("plain").Sequence(Counted("a"), Counted("b", () => true)).Build();
        await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(failing, options: new FlowRunOptions { RunId = "not-interrupted" }));

        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => runner.ResumeAsync(Review(), "goto-bad", new FlowRunOptions { ResumeAt = "nowhere" }));
        var notInterrupted = await Assert.ThrowsAsync<FlowResumeException>(() => runner.ResumeAsync(failing, "not-interrupted", new FlowRunOptions { ResumeAt = "a" }));

        Assert.Contains("ResumeAt names 'nowhere', which is no node of flow 'routed-review'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("it was not interrupted (Failed)", notInterrupted.Message, StringComparison.Ordinal);
        Assert.Equal(FlowRunStatus.Interrupted, (await runner.GetRunAsync("goto-bad"))!.Status);
    }
}
