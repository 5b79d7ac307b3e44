using FlowState.Flows;
using Xunit;

namespace FlowState.Testing;

public abstract partial class DurableStateStoreConformanceTests
{
    [Fact]
    public virtual async Task Flow_run_interrupted_before_a_close_resumes_after_reopen_from_its_next_step()
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = true;
        Node<bool, bool> Step(string name) => Node.Create<bool, bool>(
            name,
            prep: null,
            exec: async (_, context) =>
            {
                if (name == "c" && blocked)
                {
                    reached.TrySetResult();
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                }

                return true;
            },
            post: async (state, _, _, context) =>
            {
                await context.GlobalState.UpdateAsync<int>($"posts/{name}", n => n + 1);
                await state.UpdateAsync<List<string>>("trace", t => [.. t ?? [], name]);
                return null;
            });
        Flow Build() => new FlowBuilder("durable").Sequence(Step("a"), Step("b"), Step("c"), Step("d")).Build();

        await using (var store = await OpenAsync("flows"))
        {
            var runner = new FlowRunner(store);
            Assert.True(runner.RecordsProgress);
            using var stop = new CancellationTokenSource();
            var run = runner.RunAsync(Build(), new { input = "doc" }, new FlowRunOptions { RunId = "doc-1" }, stop.Token);
            await reached.Task;
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        }

        blocked = false;
        await using var reopened = await OpenAsync("flows");
        var resumedRunner = new FlowRunner(reopened);
        var info = await resumedRunner.GetRunAsync("doc-1");
        Assert.Equal((FlowRunStatus.Running, 2L, "durable"), (info!.Status, info.Steps, info.FlowName));
        var result = await resumedRunner.ResumeAsync(Build(), "doc-1");

        Assert.Equal("""["a","b","c","d"]""", result.State["trace"]!.ToJsonString());
        Assert.Equal("doc", result.State["input"]!.GetValue<string>());
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            Assert.Equal(1, await reopened.GetAsync<int>($"posts/{name}"));
        }

        Assert.Equal(0, await reopened.For(StateScope.Workflow("doc-1")).CountAsync());
    }

    [Fact]
    public virtual async Task Interrupted_run_resumes_after_reopen_with_its_history()
    {
        var gate = Node.Create<string?, string>(
            "approve",
            prep: (_, context) =>
            {
                var by = context.GetResumeInput<string>();
                if (by is null)
                {
                    context.Interrupt("needs a reviewer");
                }

                return ValueTask.FromResult<string?>(by);
            },
            exec: (by, _) => ValueTask.FromResult(by!),
            post: async (state, _, by, _) =>
            {
                await state.SetAsync("approvedBy", by);
                return null;
            });
        var draft = Node.Create("draft", async (state, _) =>
        {
            await state.SetAsync("draft", "text");
            return null;
        });
        Flow Build() => new FlowBuilder("approval").Sequence(draft, gate).Build();
        var options = new FlowRunnerOptions { History = new FlowHistoryOptions(), RetainCompletedRuns = true };

        await using (var store = await OpenAsync("interrupts"))
        {
            var stopped = await new FlowRunner(store, options).RunAsync(Build(), options: new FlowRunOptions { RunId = "hitl-1" });
            Assert.Equal(FlowRunStatus.Interrupted, stopped.Status);
        }

        await using var reopened = await OpenAsync("interrupts");
        var runner = new FlowRunner(reopened, options);
        Assert.Equal(FlowRunStatus.Interrupted, (await runner.GetRunAsync("hitl-1"))!.Status);
        var done = await runner.ResumeAsync(Build(), "hitl-1", new FlowRunOptions { ResumeInput = "grace" });

        Assert.Equal("grace", done.State["approvedBy"]!.GetValue<string>());
        Assert.Equal([null, "draft", "approve"], (await runner.GetHistoryAsync("hitl-1")).Select(c => c.NodeName));
        Assert.Equal("""{"draft":"text"}""", (await runner.GetStateAtAsync("hitl-1", 1)).ToJsonString());
    }

    [Fact]
    public virtual async Task Runs_whose_records_are_paged_out_are_listed_and_ordered_by_a_query()
    {
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend("paged-runs"), TimeProvider = Clock, MaxEntries = 2 });
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true });
        var flow = new FlowBuilder("paged").Add(Node.Create<bool, bool>(
            "only",
            prep: null,
            exec: (_, _) => ValueTask.FromResult(true),
            post: async (state, _, _, _) =>
            {
                await state.SetAsync("done", true);
                return null;
            })).Build();
        for (var i = 0; i < 6; i++)
        {
            await runner.RunAsync(flow, options: new FlowRunOptions { RunId = $"run-{i}" });
            Clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.True(store.PagingStatistics.PageOuts > 0);
        var first = await runner.QueryRunsAsync(new FlowRunQuery { Limit = 4 });
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "run-6" });
        var second = await runner.QueryRunsAsync(new FlowRunQuery { Limit = 2, Offset = 1 });

        Assert.Equal(6, first.Total);
        Assert.Equal(["run-5", "run-4", "run-3", "run-2"], first.Runs.Select(r => r.RunId));
        Assert.Equal(6, first.StatusCounts[FlowRunStatus.Completed]);
        Assert.Equal(7, second.Total);
        Assert.Equal(["run-5", "run-4"], second.Runs.Select(r => r.RunId));
    }
}
