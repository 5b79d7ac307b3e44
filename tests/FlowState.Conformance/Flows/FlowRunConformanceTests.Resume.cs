using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class FlowRunConformanceTests
{
    private static readonly FlowRunnerOptions Recording = new() { RecordProgress = true };

    /// <summary>A node whose post counts its runs in global state (<c>posts/{run}/{node}</c>); its exec fails while <paramref name="failing"/> says so.</summary>
    private static Node<bool, bool> Counted(string name, Func<bool>? failing = null) =>
        Node.Create<bool, bool>(
            name,
            prep: null,
            exec: (_, _) => failing?.Invoke() == true ? throw new InvalidOperationException($"{name} is down") : ValueTask.FromResult(true),
            post: async (state, _, _, context) =>
            {
                await context.GlobalState.UpdateAsync<int>($"posts/{context.RunId}/{name}", n => n + 1);
                await state.UpdateAsync<List<string>>("trace", t => [.. t ?? [], name]);
                return null;
            });

    private static async Task AssertEachPostRanOnceAsync(StateStore store, string runId, params string[] nodes)
    {
        foreach (var node in nodes)
        {
            Assert.Equal(1, await store.GetAsync<int>($"posts/{runId}/{node}"));
        }
    }

    [Fact]
    public async Task Failed_run_resumes_at_the_failed_step_without_running_committed_posts_again()
    {
        var store = NewStore();
        var down = true;
        var flow = new FlowBuilder("resume").Sequence(Counted("a"), Counted("b"), Counted("c", () => down), Counted("d")).Build();
        var runner = new FlowRunner(store, Recording);

        await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(flow, options: new FlowRunOptions { RunId = "r1" }));
        var failed = await runner.GetRunAsync("r1");
        Assert.Equal((FlowRunStatus.Failed, 2L), (failed!.Status, failed.Steps));
        down = false;
        var result = await runner.ResumeAsync(flow, "r1");

        Assert.Equal("""["a","b","c","d"]""", result.State["trace"]!.ToJsonString());
        Assert.Equal(2, result.Steps);
        await AssertEachPostRanOnceAsync(store, "r1", "a", "b", "c", "d");
    }

    [Fact]
    public async Task Cancelled_run_resumes_after_its_last_committed_step()
    {
        var store = NewStore();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var wait = Node.Create<bool, bool>(
            "wait",
            prep: null,
            exec: async (_, context) =>
            {
                entered.TrySetResult();
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
                return true;
            });
        var resumed = new FlowBuilder("pause").Sequence(Counted("a"), Counted("b"), Node.Create("wait", (_, _) => ValueTask.FromResult<string?>(null)), Counted("c")).Build();
        var original = new FlowBuilder("pause").Sequence(Counted("a"), Counted("b"), wait, Counted("c")).Build();
        var runner = new FlowRunner(store, Recording);
        using var cancel = new CancellationTokenSource();

        var run = runner.RunAsync(original, options: new FlowRunOptions { RunId = "p1" }, cancellationToken: cancel.Token);
        await entered.Task;
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal(FlowRunStatus.Running, (await runner.GetRunAsync("p1"))!.Status);
        var result = await runner.ResumeAsync(resumed, "p1");

        Assert.Equal("""["a","b","c"]""", result.State["trace"]!.ToJsonString());
        await AssertEachPostRanOnceAsync(store, "p1", "a", "b", "c");
    }

    [Fact]
    public async Task Resumed_batch_flow_does_not_run_finished_items_again()
    {
        var store = NewStore();
        var failOn = "item-3";
        var item = Node.Create<string, string>(
            "item",
            prep: (_, context) => ValueTask.FromResult(context.GetParam<string>("id")!),
            exec: (id, _) => id == failOn ? throw new InvalidOperationException($"{id} failed") : ValueTask.FromResult(id),
            post: async (_, id, _, context) =>
            {
                await context.GlobalState.UpdateAsync<int>($"posts/{context.RunId}/{id}", n => n + 1);
                return null;
            });
        var batch = new BatchFlow(
            "items",
            new FlowBuilder("per-item").Add(item).Build(),
            prep: (_, _) => ValueTask.FromResult(Enumerable.Range(0, 6).Select(i => (object)new { id = $"item-{i}" })));
        var flow = new FlowBuilder("batch").Sequence(Counted("before"), batch, Counted("after")).Build();
        var runner = new FlowRunner(store, Recording);

        await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(flow, options: new FlowRunOptions { RunId = "b1" }));
        failOn = "none";
        await runner.ResumeAsync(flow, "b1");

        await AssertEachPostRanOnceAsync(store, "b1", "before", "item-0", "item-1", "item-2", "item-3", "item-4", "item-5", "after");
    }

    [Fact]
    public async Task Resumed_parallel_step_does_not_run_finished_branches_again()
    {
        var store = NewStore();
        var down = true;
        var parallel = new ParallelNode(
            "fan",
            new FlowBuilder("left").Sequence(Counted("l1"), Counted("l2")).Build(),
            new FlowBuilder("right").Sequence(Counted("r1"), Counted("r2", () => down)).Build());
        var flow = new FlowBuilder("par").Sequence(parallel, Counted("join")).Build();
        var runner = new FlowRunner(store, Recording);

        await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(flow, options: new FlowRunOptions { RunId = "x1" }));
        down = false;
        await runner.ResumeAsync(flow, "x1");

        await AssertEachPostRanOnceAsync(store, "x1", "l1", "l2", "r1", "r2", "join");
    }

    [Fact]
    public async Task Resume_is_refused_for_unknown_completed_or_foreign_runs_and_without_progress_records()
    {
        var store = NewStore();
        var flow = new FlowBuilder("one").Add(Counted("a")).Build();
        var other = new FlowBuilder("two").Add(Counted("a")).Build();
        var runner = new FlowRunner(store, Recording);
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "done", RetainState = true });
        await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(new FlowBuilder("one").Add(Counted("a", () => true)).Build(), options: new FlowRunOptions { RunId = "failed" }));

        Assert.Contains("no such run", (await Assert.ThrowsAsync<FlowResumeException>(() => runner.ResumeAsync(flow, "nope"))).Message, StringComparison.Ordinal);
        Assert.Contains("completed", (await Assert.ThrowsAsync<FlowResumeException>(() => runner.ResumeAsync(flow, "done"))).Message, StringComparison.Ordinal);
        Assert.Contains("'one'", (await Assert.ThrowsAsync<FlowResumeException>(() => runner.ResumeAsync(other, "failed"))).Message, StringComparison.Ordinal);
        var notRecording = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = false });
        Assert.Contains("progress", (await Assert.ThrowsAsync<FlowResumeException>(() => notRecording.ResumeAsync(flow, "failed"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_are_listed_with_their_status()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        var flow = new FlowBuilder("listed").Add(Counted("a")).Build();
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "kept", RetainState = true });
        await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(new FlowBuilder("listed").Add(Counted("a", () => true)).Build(), options: new FlowRunOptions { RunId = "broken" }));
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "gone" });

        var runs = await ToListAsync(runner.ListRunsAsync());

        Assert.Equal([("broken", FlowRunStatus.Failed), ("kept", FlowRunStatus.Completed)], runs.Select(r => (r.RunId, r.Status)).OrderBy(r => r.RunId, StringComparer.Ordinal));
    }
}
