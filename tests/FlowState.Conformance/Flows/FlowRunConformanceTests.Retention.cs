using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>Completed runs kept for a time, then removed whole by the store's expiry.</summary>
public abstract partial class FlowRunConformanceTests
{
    private static int RetentionSoakRuns => LoopCounts.FromEnvironment("FLOWSTATE_RETENTION_RUNS", 2_000);

    [Fact]
    public async Task A_run_kept_for_a_time_is_removed_whole_once_that_time_is_over()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { History = new FlowHistoryOptions() });

        await runner.RunAsync(Traced(), new { topic = "x" }, new FlowRunOptions { RunId = "kept", RetainFor = TimeSpan.FromHours(1) });
        var kept = await runner.GetRunAsync("kept");
        var keys = await store.For(StateScope.Workflow("kept")).CountAsync();
        Clock.Advance(TimeSpan.FromMinutes(61));
        store.PurgeExpired();

        Assert.Equal(FlowRunStatus.Completed, kept!.Status);
        Assert.True(keys > 3, $"{keys} keys: state, history and records");
        Assert.Null(await runner.GetRunAsync("kept"));
        Assert.Equal(0, await store.For(StateScope.Workflow("kept")).CountAsync());
    }

    [Fact]
    public async Task Runs_without_end_under_a_retention_keep_the_store_s_size_flat()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true, CompletedRunRetention = TimeSpan.FromMinutes(10), History = new FlowHistoryOptions() });
        await runner.RunAsync(Traced(), new { topic = "first" }, new FlowRunOptions { RunId = "soak-first" });
        var keysPerRun = await store.CountAsync();
        long largest = 0;

        // One run a minute: at any time the runs of the last ten minutes (and the one running) are there.
        for (var i = 0; i < RetentionSoakRuns; i++)
        {
            Clock.Advance(TimeSpan.FromMinutes(1));
            await runner.RunAsync(Traced(), new { topic = "soak" });
            if (i % 50 == 0)
            {
                store.PurgeExpired();
                largest = Math.Max(largest, await store.CountAsync());
            }
        }

        Assert.InRange(largest, keysPerRun, 11 * keysPerRun);
        Assert.InRange(store.GetStatistics(StateScope.Global).Entries, 1, 11 * keysPerRun);
    }

    [Fact]
    public void A_retention_that_is_not_positive_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FlowRunnerOptions { CompletedRunRetention = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlowBuilder("f").WithCompletedRunRetention(TimeSpan.FromSeconds(-1)));

        Assert.Contains("CompletedRunRetention must be positive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flow_s_retention_keeps_its_completed_runs_for_that_time_whatever_the_runner_s_and_a_run_may_choose_its_own()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { CompletedRunRetention = TimeSpan.FromDays(30), RetainCompletedRuns = true });
        var weekly = new FlowBuilder("weekly").Sequence(Trace("a"), Trace("b")).WithCompletedRunRetention(TimeSpan.FromDays(7)).Build();
        var plain = new FlowBuilder("plain").Sequence(Trace("a")).Build();

        await runner.RunAsync(weekly, null, new FlowRunOptions { RunId = "week" });
        await runner.RunAsync(weekly, null, new FlowRunOptions { RunId = "day", RetainFor = TimeSpan.FromDays(1) });
        await runner.RunAsync(weekly, null, new FlowRunOptions { RunId = "dropped", RetainState = false });
        await runner.RunAsync(plain, null, new FlowRunOptions { RunId = "month" });
        var bare = new FlowRunner(store);
        await bare.RunAsync(weekly, null, new FlowRunOptions { RunId = "kept-by-flow" });

        Assert.Null(await runner.GetRunAsync("dropped"));
        Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        store.PurgeExpired();
        Assert.Null(await runner.GetRunAsync("day"));
        Assert.NotNull(await runner.GetRunAsync("week"));
        Assert.NotNull(await bare.GetRunAsync("kept-by-flow"));
        Clock.Advance(TimeSpan.FromDays(6));
        store.PurgeExpired();
        Assert.Null(await runner.GetRunAsync("week"));
        Assert.Null(await runner.GetRunAsync("kept-by-flow")); // kept although its runner keeps no completed run, then removed
        Assert.Equal(0, await store.For(StateScope.Workflow("week")).CountAsync());
        Assert.Equal(FlowRunStatus.Completed, (await runner.GetRunAsync("month"))!.Status);
        Clock.Advance(TimeSpan.FromDays(23));
        store.PurgeExpired();
        Assert.Null(await runner.GetRunAsync("month"));
    }
}
