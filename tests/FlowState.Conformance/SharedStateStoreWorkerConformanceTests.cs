using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// The kit's shared-store suite (<see cref="SharedStateStoreConformanceTests"/>) plus what only this repository can
/// run: worker processes started from the crash harness — several incrementing one state, one killed and its run taken
/// over once its lease lapses — and Lua scripts on shared stores. The Redis and PostgreSQL test projects derive from
/// this class.
/// </summary>
public abstract partial class SharedStateStoreWorkerConformanceTests : SharedStateStoreConformanceTests
{
    /// <summary>The server as the crash harness's shared mode takes it: <c>redis:&lt;configuration&gt;</c> or <c>postgres:&lt;connection string&gt;</c>.</summary>
    protected abstract string HarnessServer { get; }

    [Fact]
    public async Task Worker_processes_incrementing_shared_keys_lose_no_update()
    {
        const int Workers = 3;
        const int Count = 150;
        var workers = Enumerable.Range(0, Workers).Select(w => RunWorkerAsync("shared", HarnessServer, StoreName, $"w{w}", $"{Count}")).ToList();

        var outputs = await Task.WhenAll(workers);

        Assert.All(outputs, lines => Assert.Equal(["DONE"], lines));
        var store = (await OpenAsync()).For(StateScope.Workflow("shared-run"));
        Assert.Equal(Workers * Count, await store.GetAsync<int>("hits"));
        var doc = await store.GetAsync<Dictionary<string, int>>("doc");
        Assert.Equal(Enumerable.Range(0, Workers).ToDictionary(w => $"w{w}", _ => Count), doc);
    }

    // Long enough that a worker renews in time on a loaded machine (a step and a renewal are a few round trips, each
    // of which took over a second there with a lease of 1.5 s), short enough for the successor's wait.
    private const string LeaseMilliseconds = "6000";

    [Fact]
    public async Task A_killed_workers_run_is_resumed_by_another_worker_once_its_lease_lapses()
    {
        using var killed = await CrashHarnessProcess.StartAsync("lease", HarnessServer, StoreName, "worker-a", "1000000", LeaseMilliseconds);
        await killed.WaitForLinesAsync(line => line.StartsWith("STEP ", StringComparison.Ordinal), 5, "STEP");
        var lines = await killed.KillAsync();
        var acknowledged = lines.Where(l => l.StartsWith("STEP ", StringComparison.Ordinal)).Select(l => int.Parse(l[5..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(acknowledged);
        var store = await OpenAsync(o => o.TimeProvider = TimeProvider.System);
        var leases = new RunLeases(store);
        Assert.Equal("worker-a", await leases.GetOwnerAsync("leased-run"));
        Assert.Null(await leases.TryAcquireAsync("leased-run", "worker-c", TimeSpan.FromSeconds(1)));
        var last = acknowledged.Max();
        var target = last + 20;

        var resumed = await RunWorkerAsync("lease", HarnessServer, StoreName, "worker-b", $"{target}", LeaseMilliseconds);

        var resumedSteps = resumed.Where(l => l.StartsWith("STEP ", StringComparison.Ordinal)).Select(l => int.Parse(l[5..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.InRange(resumedSteps[0], last + 1, last + 2); // worker-a may have committed one step it could not report
        Assert.Equal(Enumerable.Range(resumedSteps[0], target - resumedSteps[0] + 1), resumedSteps);
        var run = store.For(StateScope.Workflow("leased-run"));
        Assert.Equal(target, await run.GetAsync<int>("step"));
        for (var step = 1; step <= target; step++)
        {
            Assert.Equal(step < resumedSteps[0] ? "worker-a" : "worker-b", await run.GetAsync<string>($"done:{step}"));
        }
    }

    [Fact]
    public virtual async Task A_killed_workers_flow_run_is_resumed_by_another_worker_and_every_post_takes_effect_once()
    {
        const string RunId = "leased-flow";
        // Its last node waits to be killed: on a loaded machine the kill below once came after the rest of the run
        // (about a second of 150 ms steps) had completed.
        using var killed = await CrashHarnessProcess.StartAsync("lease-flow", HarnessServer, StoreName, "worker-a", RunId, LeaseMilliseconds, "150", "after");
        var store = await OpenAsync();

        // Killed once its first post is committed: a fixed delay could land before the run exists on a loaded machine.
        // Each step takes 150 ms, so the kill lands anywhere from there to the last node.
        await killed.WaitForLineAsync(line => line == $"POST effects/{RunId}/n1", "POST of n1");
        var lines = await killed.KillAsync();
        Assert.Contains("STARTED", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("DONE", StringComparison.Ordinal));

        var resumed = await RunWorkerAsync("lease-flow", HarnessServer, StoreName, "worker-b", RunId, LeaseMilliseconds, "150");

        Assert.Equal(["RESUMED", "DONE Completed"], resumed.Where(l => !l.StartsWith("POST ", StringComparison.Ordinal)));
        foreach (var effect in CrashTestFlow.ExpectedEffects(RunId))
        {
            Assert.True(1 == await store.GetAsync<int>(effect), $"{effect} took effect {await store.GetAsync<int>(effect)} times");
        }
    }

    /// <summary>Runs the crash harness with <paramref name="arguments"/> to its end (3 minutes at most) and returns the lines it printed after READY.</summary>
    private static async Task<string[]> RunWorkerAsync(params string[] arguments)
    {
        using var worker = await CrashHarnessProcess.StartAsync(arguments);
        var (code, killed, lines) = await worker.ExitOrKillAsync(TimeSpan.FromMinutes(3));
        Assert.True(code == 0 && !killed, $"worker {string.Join(' ', arguments[2..])} exited with {code}{(killed ? " (killed after 3 minutes)" : string.Empty)}: {await worker.ErrorsAsync()}");
        return lines;
    }
}

