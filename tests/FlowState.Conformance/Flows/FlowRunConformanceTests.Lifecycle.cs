using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>Deleting a run and pruning runs by age, status and keep-last-N.</summary>
public abstract partial class FlowRunConformanceTests
{
    [Fact]
    public async Task Deleting_a_run_removes_its_state_records_and_history_and_nothing_else()
    {
        await using var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = true, RetainCompletedRuns = true, History = new FlowHistoryOptions() });
        var flow = new FlowBuilder("kept").Sequence(Add("one", "n"), Node.Create("private", async (_, context) =>
        {
            await context.StepState.SetAsync("scratch", 1);
            return null;
        })).Build();
        var doomed = await runner.RunAsync(flow, new { n = 1 }, new FlowRunOptions { RunId = "doomed" });
        var kept = await runner.RunAsync(flow, new { n = 5 }, new FlowRunOptions { RunId = "kept" });
        await store.SetAsync("global-key", 1);

        Assert.True(await runner.DeleteRunAsync(doomed.RunId));

        Assert.Null(await runner.GetRunAsync("doomed"));
        Assert.Equal(0, await store.For(StateScope.Workflow("doomed")).CountAsync());
        Assert.False(await runner.DeleteRunAsync("doomed"));
        Assert.Equal(FlowRunStatus.Completed, (await runner.GetRunAsync(kept.RunId))!.Status);
        Assert.NotEmpty(await runner.GetHistoryAsync(kept.RunId));
        Assert.Equal(1, await store.GetAsync<int>("global-key"));
    }

    [Fact]
    public async Task A_run_running_in_this_process_cannot_be_deleted_or_pruned()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flow = new FlowBuilder("busy").Add(Node.Create<int, int>("wait", prep: null, exec: async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
            return 0;
        })).Build();
        await using var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = true, RetainCompletedRuns = true });

        var running = runner.RunAsync(flow, options: new FlowRunOptions { RunId = "busy-1" });
        await started.Task.WaitAsync(EventWait);
        var refused = await Assert.ThrowsAsync<FlowException>(async () => await runner.DeleteRunAsync("busy-1"));
        Assert.Contains("already running", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await runner.PruneRunsAsync(new FlowRunPruneOptions { Statuses = [FlowRunStatus.Running] }));
        release.SetResult();
        await running.WaitAsync(EventWait);

        Assert.Equal(["busy-1"], await runner.PruneRunsAsync());
    }

    [Fact]
    public async Task Pruning_selects_runs_by_age_status_and_flow_and_keeps_the_newest()
    {
        await using var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = true, RetainCompletedRuns = true });
        var good = new FlowBuilder("good").Add(Trace("only")).Build();
        var bad = new FlowBuilder("bad").Add(Node.Create<int, int>("boom", prep: null, exec: (_, _) => throw new InvalidOperationException("no"))).Build();
        for (var i = 0; i < 5; i++)
        {
            await runner.RunAsync(good, options: new FlowRunOptions { RunId = $"good-{i}" });
            Clock.Advance(TimeSpan.FromDays(1));
        }

        await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(bad, options: new FlowRunOptions { RunId = "bad-0" }));
        Clock.Advance(TimeSpan.FromDays(1));

        // good-0 … good-4 were last updated 6 … 2 days ago, bad-0 1 day ago.
        Assert.Equal(["good-0", "good-1"], (await runner.PruneRunsAsync(new FlowRunPruneOptions { OlderThan = TimeSpan.FromDays(4.5), DryRun = true })).Order());
        Assert.Equal(6, (await ToListAsync(runner.ListRunsAsync())).Count);
        Assert.Equal(["good-0", "good-1"], (await runner.PruneRunsAsync(new FlowRunPruneOptions { OlderThan = TimeSpan.FromDays(4.5) })).Order());
        Assert.Empty(await runner.PruneRunsAsync(new FlowRunPruneOptions { Statuses = [FlowRunStatus.Interrupted] }));
        Assert.Equal(["good-2"], await runner.PruneRunsAsync(new FlowRunPruneOptions { Flow = "good", KeepLast = 2 }));
        Assert.Equal(["bad-0"], await runner.PruneRunsAsync(new FlowRunPruneOptions { Statuses = [FlowRunStatus.Failed] }));
        Assert.Equal(["good-3", "good-4"], (await ToListAsync(runner.ListRunsAsync())).Select(r => r.RunId).Order());
    }
}
