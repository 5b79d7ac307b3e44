using FlowState.Conformance;
using FlowState.Sqlite;
using Microsoft.Agents.AI.Workflows;
using Xunit;

namespace FlowState.AgentFramework.Tests;

/// <summary>
/// Real Agent Framework workflows checkpointing into FlowState on SQLite: every super-step leaves a checkpoint in the
/// file, and a workflow resumed from one of them, by a new store on the reopened file, ends as an uninterrupted run.
/// </summary>
public sealed class WorkflowCheckpointTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_workflow_resumed_from_a_checkpoint_in_a_reopened_store_ends_as_an_uninterrupted_run()
    {
        var path = _directory.File("workflows.db");
        List<CheckpointInfo> checkpoints;
        string uninterrupted;
        await using (var state = await OpenAsync(path))
        {
            var manager = CheckpointManager.CreateJson(new FlowStateCheckpointStore(state.For(StateScope.Custom("agent-framework"))));
            await using var run = await InProcessExecution.RunAsync(AgentFrameworkTestWorkflow.Build([]), AgentFrameworkTestWorkflow.Input, manager, "session-1");
            uninterrupted = AgentFrameworkTestWorkflow.Output(run);
            checkpoints = run.Checkpoints.ToList();
        }

        Assert.Equal(AgentFrameworkTestWorkflow.ExpectedOutput, uninterrupted);
        Assert.True(checkpoints.Count >= AgentFrameworkTestWorkflow.Executors, $"{checkpoints.Count} checkpoints for {AgentFrameworkTestWorkflow.Executors} super-steps");

        await using (var reopened = await OpenAsync(path))
        {
            var store = new FlowStateCheckpointStore(reopened.For(StateScope.Custom("agent-framework")));
            Assert.Equal(checkpoints, await store.RetrieveIndexAsync("session-1"));
            var manager = CheckpointManager.CreateJson(store);

            // As if the process had died after the third super-step: a new workflow instance takes over from there.
            var ran = new List<int>();
            await using var resumed = await InProcessExecution.ResumeAsync(AgentFrameworkTestWorkflow.Build(ran), checkpoints[2], manager);
            Assert.Equal(uninterrupted, AgentFrameworkTestWorkflow.Output(resumed));
            Assert.DoesNotContain(0, ran);
            Assert.True(ran.Count < AgentFrameworkTestWorkflow.Executors, $"executors {string.Join(", ", ran)} ran again after the resume");
        }
    }

    private static Task<StateStore> OpenAsync(string path) =>
        StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path), Durability = Durability.Machine });
}
