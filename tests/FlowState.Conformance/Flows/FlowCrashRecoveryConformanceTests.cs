using System.Globalization;
using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// The kill -9 test of durable runs: a child process (the crash harness in <c>flows</c> mode) runs
/// <see cref="CrashTestFlow"/> in several concurrent runs; the parent kills it with SIGKILL at a random moment, reopens
/// the store, resumes every run that did not complete, and checks that every run then completed with each post's
/// effect applied exactly once (none twice, none lost), and that no effect exists for a run the store has no record of.
/// With the runs' steps written behind (<see cref="FlowRunDurability.Async"/>) or at their end
/// (<see cref="FlowRunDurability.Exit"/>) a kill loses the steps not yet written, and their posts run again on resume:
/// the effects, committed with the steps, are still exactly once. <c>FLOWSTATE_CRASH_KILLS</c> sets the number of kills
/// (default 10; a sixth of them, at least 3, for the two other modes).
/// </summary>
public abstract class FlowCrashRecoveryConformanceTests : CrashTestBase
{
    [Theory]
    [InlineData(FlowRunDurability.Sync)]
    [InlineData(FlowRunDurability.Async)]
    [InlineData(FlowRunDurability.Exit)]
    public async Task Killed_flow_runs_resume_and_apply_every_post_exactly_once(FlowRunDurability runDurability)
    {
        var path = Directory.File("flows");
        var random = new Random(20261122);
        var flow = CrashTestFlow.Build();
        var resumedTotal = 0;
        var kills = runDurability == FlowRunDurability.Sync ? Kills : Math.Max(3, Kills / 6);

        for (var kill = 0; kill < kills; kill++)
        {
            using (var harness = await CrashHarnessProcess.StartAsync(HarnessBackend, path, "flows", random.Next().ToString(CultureInfo.InvariantCulture), (kill * 1000).ToString(CultureInfo.InvariantCulture), runDurability.ToString()))
            {
                // A random time after the first post of this life: from the start alone, a busy machine can kill the
                // child before any run began, and such a life proves nothing.
                await harness.WaitForLineAsync(line => line.StartsWith("POST ", StringComparison.Ordinal), "POST");
                await Task.Delay(random.Next(20, 400));
                await harness.KillAsync();
            }

            await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path) });
            var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true });
            var runs = new List<FlowRunInfo>();
            await foreach (var run in runner.ListRunsAsync())
            {
                runs.Add(run);
            }

            foreach (var run in runs.Where(r => r.Status != FlowRunStatus.Completed))
            {
                await runner.ResumeAsync(flow, run.RunId).WaitAsync(TimeSpan.FromSeconds(60));
                resumedTotal++;
            }

            var known = runs.Select(r => r.RunId).ToHashSet(StringComparer.Ordinal);
            foreach (var runId in known)
            {
                Assert.Equal(FlowRunStatus.Completed, (await runner.GetRunAsync(runId))!.Status);
                foreach (var effect in CrashTestFlow.ExpectedEffects(runId))
                {
                    var count = await store.GetAsync<int>(effect);
                    Assert.True(count == 1, $"kill {kill}: {effect} = {count}, expected exactly 1");
                }

                Assert.Equal(CrashTestFlow.ExpectedEffects(runId).Count(), await runner.Runs.Run(runId).GetAsync<int>("posts"));
            }

            await foreach (var key in store.ListKeysAsync("effects/"))
            {
                var runId = key.Split('/')[1];
                Assert.True(known.Contains(runId), $"kill {kill}: effect {key} belongs to no recorded run");
            }

        }

        Assert.True(resumedTotal > 0, "no kill interrupted a run: the test proved nothing");
    }
}
