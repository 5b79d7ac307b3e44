using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>Listing runs a page at a time: newest first, filtered by flow, status and start time, with counts per status.</summary>
public abstract partial class FlowRunConformanceTests
{
    [Fact]
    public async Task Runs_are_queried_newest_first_a_page_at_a_time_with_filters_and_counts_per_status()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true, RecordProgress = RunnerOptions.RecordProgress });
        var ok = new FlowBuilder("ok").Add(Trace("only")).Build();
        var failing = new FlowBuilder("broken").Add(Node.Create<bool, bool>("boom", prep: null, exec: (_, _) => throw new InvalidOperationException("boom"))).Build();
        var started = Clock.GetUtcNow();
        for (var i = 0; i < 5; i++)
        {
            await runner.RunAsync(ok, options: new FlowRunOptions { RunId = $"ok-{i}" });
            Clock.Advance(TimeSpan.FromMinutes(1));
        }

        await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(failing, options: new FlowRunOptions { RunId = "broken-0" }));
        await store.For(StateScope.Custom("other")).SetAsync("not-a-run", 1);

        var first = await runner.QueryRunsAsync(new FlowRunQuery { Limit = 2 });
        var second = await runner.QueryRunsAsync(new FlowRunQuery { Limit = 2, Offset = 2 });
        var failed = await runner.QueryRunsAsync(new FlowRunQuery { Status = FlowRunStatus.Failed });
        var window = await runner.QueryRunsAsync(new FlowRunQuery { Flow = "ok", StartedFrom = started.AddMinutes(1), StartedBefore = started.AddMinutes(3) });
        var beyond = await runner.QueryRunsAsync(new FlowRunQuery { Offset = 10 });

        Assert.Equal(6, first.Total);
        Assert.Equal(["broken-0", "ok-4"], first.Runs.Select(r => r.RunId));
        Assert.Equal(["ok-3", "ok-2"], second.Runs.Select(r => r.RunId));
        Assert.Equal((5, 1), (first.StatusCounts[FlowRunStatus.Completed], first.StatusCounts[FlowRunStatus.Failed]));
        Assert.Equal(["broken-0"], failed.Runs.Select(r => r.RunId));
        Assert.Contains("boom", failed.Runs[0].Error, StringComparison.Ordinal);
        Assert.Equal(1, failed.Total);
        Assert.Equal(6, failed.StatusCounts.Values.Sum());
        Assert.Equal(["ok-2", "ok-1"], window.Runs.Select(r => r.RunId));
        Assert.Equal(6, beyond.Total);
        Assert.Empty(beyond.Runs);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => runner.QueryRunsAsync(new FlowRunQuery { Limit = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => runner.QueryRunsAsync(new FlowRunQuery { Offset = -1 }));
    }

    [Fact]
    public async Task A_query_sees_every_run_started_changed_or_deleted_since_the_last_one_whoever_made_the_change()
    {
        var store = NewStore();
        var options = new FlowRunnerOptions { RetainCompletedRuns = true, RecordProgress = RunnerOptions.RecordProgress };
        var listing = new FlowRunner(store, options);
        var other = new FlowRunner(store, options);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new FlowBuilder("held").Add(Node.Create<bool, bool>("wait", prep: null, exec: async (_, _) =>
        {
            entered.TrySetResult();
            await release.Task;
            return true;
        })).Build();
        var quick = new FlowBuilder("quick").Add(Trace("only")).Build();

        await listing.RunAsync(quick, options: new FlowRunOptions { RunId = "first" });
        Assert.Equal(["first"], (await listing.QueryRunsAsync()).Runs.Select(r => r.RunId));

        Clock.Advance(TimeSpan.FromMinutes(1));
        var running = other.RunAsync(held, options: new FlowRunOptions { RunId = "second" });
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var whileRunning = await listing.QueryRunsAsync();
        release.SetResult();
        await running;
        var afterwards = await listing.QueryRunsAsync(new FlowRunQuery { Status = FlowRunStatus.Completed });

        Assert.Equal(["second", "first"], whileRunning.Runs.Select(r => r.RunId));
        Assert.Equal((1, 1), (whileRunning.StatusCounts[FlowRunStatus.Running], whileRunning.StatusCounts[FlowRunStatus.Completed]));
        Assert.Equal(["second", "first"], afterwards.Runs.Select(r => r.RunId));
        Assert.False(afterwards.StatusCounts.ContainsKey(FlowRunStatus.Running));

        Assert.True(await other.DeleteRunAsync("second"));
        Assert.Equal(["first"], (await listing.QueryRunsAsync()).Runs.Select(r => r.RunId));

        // A run's scope cleared through the store, not a runner, leaves the listing too.
        await store.For(StateScope.Workflow("first")).ClearAsync();
        var empty = await listing.QueryRunsAsync();
        Assert.Equal(0, empty.Total);
        Assert.Empty(empty.StatusCounts);

        await other.RunAsync(quick, options: new FlowRunOptions { RunId = "third" });
        Assert.Equal(["third"], (await new FlowRunner(store, options).QueryRunsAsync()).Runs.Select(r => r.RunId));
    }

    [Fact]
    public async Task Child_scopes_are_listed_with_the_entries_of_their_subtrees()
    {
        var store = NewStore();
        await store.For(StateScope.Workflow("w1")).SetAsync("a", 1);
        await store.For(StateScope.Step("w1", "s")).SetAsync("b", 2);
        await store.For(StateScope.Custom("c")).SetAsync("x", 3);
        await store.For(StateScope.Custom("gone")).SetAsync("y", 4);
        await store.For(StateScope.Custom("gone")).DeleteAsync("y");
        await store.For(StateScope.Global).SetAsync("top", 5);

        var children = store.ListChildScopes(StateScope.Global).OrderBy(c => c.Scope.Path, StringComparer.Ordinal).ToList();
        var steps = store.ListChildScopes(StateScope.Workflow("w1"));

        Assert.Equal([("custom:c:", 1L), ("workflow:w1:", 2L)], children.Select(c => (c.Scope.Path, c.Entries)));
        Assert.True(children.All(c => c.Bytes > 0));
        Assert.Equal([StateScope.Step("w1", "s")], steps.Select(c => c.Scope));
        Assert.Empty(store.ListChildScopes(StateScope.Custom("nowhere")));
    }

    [Fact]
    public async Task Child_scopes_are_paged_in_path_order_with_the_count_and_entries_of_all()
    {
        var store = NewStore();
        foreach (var name in new[] { "b", "a-1", "a", "a:b", "c" })
        {
            await store.For(StateScope.Workflow(name)).SetAsync("k", 1);
        }

        await store.For(StateScope.Custom("x")).SetAsync("k", 1);
        await store.For(StateScope.Custom("x")).SetAsync("k2", 2);
        await store.For(StateScope.Custom("emptied")).SetAsync("k", 1);
        await store.For(StateScope.Custom("emptied")).DeleteAsync("k");

        var all = store.ListChildScopes(StateScope.Global).Select(c => c.Scope.Path).Order(StringComparer.Ordinal).ToList();
        var first = store.PageChildScopes(StateScope.Global, 0, 3);
        var second = store.PageChildScopes(StateScope.Global, 3, 3);
        var beyond = store.PageChildScopes(StateScope.Global, 10, 3);

        Assert.Equal(all, first.Page.Concat(second.Page).Select(c => c.Scope.Path));
        Assert.Equal((6, 7L), (first.Total, first.Entries));
        Assert.Equal([2L], first.Page.Where(c => c.Scope == StateScope.Custom("x")).Select(c => c.Entries));
        Assert.Empty(beyond.Page);
        Assert.Equal(6, beyond.Total);
        Assert.Empty(store.PageChildScopes(StateScope.Custom("nowhere"), 0, 3).Page);
    }
}
