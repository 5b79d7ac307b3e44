using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class FlowRunConformanceTests
{
    private sealed record Approval(bool Approved, string By);

    /// <summary>A node that interrupts the run until it is resumed with an <see cref="Approval"/>, then records it.</summary>
    private static Node<Approval?, bool> ApprovalGate() => Node.Create<Approval?, bool>(
        "approve",
        prep: (_, context) =>
        {
            var approval = context.GetResumeInput<Approval>();
            if (approval is null)
            {
                context.Interrupt("a reviewer must approve the draft");
            }

            return ValueTask.FromResult<Approval?>(approval);
        },
        exec: (approval, _) => ValueTask.FromResult(approval!.Approved),
        post: async (state, approval, approved, context) =>
        {
            await context.GlobalState.UpdateAsync<int>($"posts/{context.RunId}/approve", n => n + 1);
            await state.SetAsync("approvedBy", approval!.By);
            return approved ? "yes" : "no";
        });

    [Fact]
    public async Task Interrupted_run_keeps_its_state_and_resumes_with_the_input_at_the_interrupting_node()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = true });
        var gate = ApprovalGate();
        var flow = new FlowBuilder("review").Sequence(Counted("draft"), gate).Connect(gate, Counted("publish"), "yes").Connect(gate, Counted("discard"), "no").Build();

        var stopped = await runner.RunAsync(flow, new { doc = "d" }, new FlowRunOptions { RunId = "hitl" });

        Assert.Equal((FlowRunStatus.Interrupted, "a reviewer must approve the draft", null), (stopped.Status, stopped.InterruptReason, stopped.Action));
        Assert.Equal("""["draft"]""", stopped.State["trace"]!.ToJsonString());
        Assert.Equal(FlowRunStatus.Interrupted, (await runner.GetRunAsync("hitl"))!.Status);
        var again = await runner.ResumeAsync(flow, "hitl");
        Assert.Equal(FlowRunStatus.Interrupted, again.Status);

        var done = await runner.ResumeAsync(flow, "hitl", new FlowRunOptions { ResumeInput = new Approval(true, "ada") });

        Assert.Equal(FlowRunStatus.Completed, done.Status);
        Assert.Equal("ada", done.State["approvedBy"]!.GetValue<string>());
        Assert.Equal("""["draft","publish"]""", done.State["trace"]!.ToJsonString());
        await AssertEachPostRanOnceAsync(store, "hitl", "draft", "approve", "publish");
    }

    [Fact]
    public async Task Interrupt_without_progress_records_fails_with_a_clear_error()
    {
        var runner = new FlowRunner(new StateStore(), new FlowRunnerOptions { RecordProgress = false });

        var error = await Assert.ThrowsAsync<FlowException>(() => runner.RunAsync(new FlowBuilder("hitl").Add(ApprovalGate()).Build()));

        Assert.Contains("does not record progress", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fork_from_an_earlier_step_starts_a_new_run_there_and_leaves_the_source_alone()
    {
        var store = NewStore();
        var runner = HistoryRunner(store);
        var flow = new FlowBuilder("forked").Sequence(Counted("a"), Counted("b"), Counted("c"), Counted("d")).Build();
        var source = await runner.RunAsync(flow, new { topic = "x" }, new FlowRunOptions { RunId = "src" });

        var forkId = await runner.ForkAsync("src", 2, "src-fork");
        var info = await runner.GetRunAsync(forkId);
        var fork = await runner.ResumeAsync(flow, forkId);

        Assert.Equal((FlowRunStatus.Running, "forked"), (info!.Status, info.FlowName));
        Assert.Equal(("src", 2L), (info.ForkedFromRun, info.ForkedFromStep));
        Assert.Null((await runner.GetRunAsync("src"))!.ForkedFromRun);
        Assert.Equal("""["a","b","c","d"]""", fork.State["trace"]!.ToJsonString());
        Assert.Equal("x", fork.State["topic"]!.GetValue<string>());
        Assert.Equal(2, fork.Steps);
        await AssertEachPostRanOnceAsync(store, "src-fork", "c", "d");
        Assert.False(await store.ExistsAsync("posts/src-fork/a"));
        Assert.Equal(source.State.ToJsonString(), (await runner.Runs.GetStateAsync("src")).ToJsonString());
        Assert.Equal("""{"topic":"x","trace":["a","b"]}""", (await runner.GetStateAtAsync(forkId, 0)).ToJsonString());
    }

    [Fact]
    public async Task Fork_inside_a_parallel_step_resumes_every_branch_from_where_it_stood()
    {
        var store = NewStore();
        var runner = HistoryRunner(store);
        var parallel = new ParallelNode(
            "fan",
            new FlowBuilder("left").Sequence(Counted("l1"), Counted("l2")).Build(),
            new FlowBuilder("right").Sequence(Counted("r1"), Counted("r2")).Build());
        var flow = new FlowBuilder("par-fork").Sequence(Counted("start"), parallel, Counted("join")).Build();
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "psrc" });
        var history = await runner.GetHistoryAsync("psrc");
        var atL1 = history.Single(c => c.NodeName == "l1").Index;

        var forkId = await runner.ForkAsync("psrc", atL1);
        var fork = await runner.ResumeAsync(flow, forkId);

        var trace = fork.State["trace"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(["join", "l1", "l2", "r1", "r2", "start"], trace.Order(StringComparer.Ordinal));
        Assert.Equal("join", trace[^1]);
        Assert.False(await store.ExistsAsync($"posts/{forkId}/l1"));
        Assert.Equal(1, await store.GetAsync<int>($"posts/{forkId}/l2"));
        Assert.Equal(1, await store.GetAsync<int>($"posts/{forkId}/join"));

        // Forked after the parallel step committed, only the top flow has a position: the branches' ended with it.
        var afterFan = await runner.ForkAsync("psrc", history.Single(c => c.NodeName == "fan").Index);
        var frames = await ToListAsync(store.For(RunExecution.BookkeepingScopeOf(afterFan)).ListKeysAsync("frame:"));
        Assert.Equal(["frame:"], frames);
    }

    [Fact]
    public async Task Update_between_steps_changes_fields_records_a_checkpoint_and_is_seen_on_resume()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { History = new FlowHistoryOptions() });
        var gate = ApprovalGate();
        var flow = new FlowBuilder("edit").Sequence(Counted("draft"), gate).Connect(gate, Counted("publish"), "yes").Connect(gate, Counted("discard"), "no").Build();
        await runner.RunAsync(flow, new { title = "old", temp = 1 }, new FlowRunOptions { RunId = "edit", RetainState = true });

        var index = await runner.UpdateStateAsync("edit", new { title = "new", temp = (int?)null });
        var done = await runner.ResumeAsync(flow, "edit", new FlowRunOptions { ResumeInput = new Approval(false, "bob"), RetainState = true });

        Assert.Equal("new", done.State["title"]!.GetValue<string>());
        Assert.False(done.State.ContainsKey("temp"));
        Assert.Equal("""["draft","discard"]""", done.State["trace"]!.ToJsonString());
        var update = (await runner.GetHistoryAsync("edit")).Single(c => c.Index == index);
        Assert.Equal((null, null), (update.NodeName, update.Action));
        Assert.Equal("old", (await runner.GetStateAtAsync("edit", index - 1))["title"]!.GetValue<string>());
        await Assert.ThrowsAsync<FlowException>(async () => await runner.UpdateStateAsync("missing", new { a = 1 }));
    }
}
