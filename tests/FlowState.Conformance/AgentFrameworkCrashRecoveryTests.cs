using FlowState.AgentFramework;
using Microsoft.Agents.AI.Workflows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// An Agent Framework workflow checkpointing into FlowState on an embedded backend is killed (SIGKILL) in the middle of a
/// super-step; a new process resumes it from the latest stored checkpoint and ends with the uninterrupted run's output,
/// without running again what the checkpoints already hold.
/// </summary>
public abstract class AgentFrameworkCrashRecoveryTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    /// <summary>The backend's name for the harness (<c>sqlite</c>, <c>rocksdb</c>).</summary>
    protected abstract string BackendName { get; }

    /// <summary>A backend over <paramref name="path"/>, as the harness opens it.</summary>
    protected abstract IStateBackend CreateBackend(string path);

    public void Dispose()
    {
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_killed_workflow_resumes_from_its_latest_checkpoint_in_another_process()
    {
        const int BlockAt = 5;
        var path = _directory.File("workflows");
        using (var child = await CrashHarnessProcess.StartAsync("af", BackendName, path, BlockAt.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            await child.WaitForLineAsync(line => line == "BLOCKED", "the executor that waits to be killed");
            await child.KillAsync();
        }

        await using var state = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path) });
        var store = new FlowStateCheckpointStore(state.For(StateScope.Custom("agent-framework")));
        var checkpoints = (await store.RetrieveIndexAsync("af-session")).ToList();
        Assert.True(checkpoints.Count >= BlockAt, $"{checkpoints.Count} checkpoints survived the kill; the child had finished {BlockAt} super-steps");

        var ran = new List<int>();
        await using var resumed = await InProcessExecution.ResumeAsync(AgentFrameworkTestWorkflow.Build(ran), checkpoints[^1], CheckpointManager.CreateJson(store));

        Assert.Equal(AgentFrameworkTestWorkflow.ExpectedOutput, AgentFrameworkTestWorkflow.Output(resumed));
        Assert.Equal(Enumerable.Range(BlockAt, AgentFrameworkTestWorkflow.Executors - BlockAt), ran);
    }
}
