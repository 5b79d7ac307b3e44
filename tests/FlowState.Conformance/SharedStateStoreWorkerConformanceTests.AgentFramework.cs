using Xunit;

namespace FlowState.Conformance;

/// <summary>An Agent Framework workflow checkpointing into the shared store, killed in one worker and resumed by another.</summary>
public abstract partial class SharedStateStoreWorkerConformanceTests
{
    [Fact]
    public virtual async Task An_Agent_Framework_workflow_killed_in_one_worker_is_resumed_from_its_latest_checkpoint_by_another()
    {
        const int BlockAt = 5;
        using (var killed = await CrashHarnessProcess.StartAsync("af", HarnessServer, StoreName, BlockAt.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            await killed.WaitForLineAsync(line => line == "BLOCKED", "the executor that waits to be killed");
            await killed.KillAsync();
        }

        var resumed = await RunWorkerAsync("af-resume", HarnessServer, StoreName);

        var checkpoints = int.Parse(resumed.Single(l => l.StartsWith("CHECKPOINTS ", StringComparison.Ordinal))["CHECKPOINTS ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(checkpoints >= BlockAt, $"{checkpoints} checkpoints survived the kill; the first worker had finished {BlockAt} super-steps");
        Assert.Contains($"RAN {string.Join(',', Enumerable.Range(BlockAt, AgentFrameworkTestWorkflow.Executors - BlockAt))}", resumed);
        Assert.Contains($"OUTPUT {AgentFrameworkTestWorkflow.ExpectedOutput}", resumed);
        Assert.Equal("DONE", resumed[^1]);
    }
}
