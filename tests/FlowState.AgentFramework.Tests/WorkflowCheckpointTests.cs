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
    private const int Nodes = 6;
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
            await using var run = await InProcessExecution.RunAsync(BuildWorkflow([]), "in:", manager, "session-1");
            uninterrupted = Output(run);
            checkpoints = run.Checkpoints.ToList();
        }

        Assert.Equal("in:012345", uninterrupted);
        Assert.True(checkpoints.Count >= Nodes, $"{checkpoints.Count} checkpoints for {Nodes} super-steps");

        await using (var reopened = await OpenAsync(path))
        {
            var store = new FlowStateCheckpointStore(reopened.For(StateScope.Custom("agent-framework")));
            Assert.Equal(checkpoints, await store.RetrieveIndexAsync("session-1"));
            var manager = CheckpointManager.CreateJson(store);

            // As if the process had died after the third super-step: a new workflow instance takes over from there.
            var ran = new List<int>();
            await using var resumed = await InProcessExecution.ResumeAsync(BuildWorkflow(ran), checkpoints[2], manager);
            Assert.Equal(uninterrupted, Output(resumed));
            Assert.DoesNotContain(0, ran);
            Assert.True(ran.Count < Nodes, $"executors {string.Join(", ", ran)} ran again after the resume");
        }
    }

    private static Task<StateStore> OpenAsync(string path) =>
        StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path), Durability = Durability.Machine });

    /// <summary>Six executors in a row, each appending its index to the text and keeping a field of shared state; <paramref name="ran"/> hears which ran.</summary>
    private static Workflow BuildWorkflow(List<int> ran)
    {
        var nodes = Enumerable.Range(0, Nodes).Select(i =>
            ((Func<string, IWorkflowContext, CancellationToken, ValueTask<string>>)(async (text, context, cancellationToken) =>
            {
                lock (ran)
                {
                    ran.Add(i);
                }

                await context.QueueStateUpdateAsync($"f{i}", text, "run", cancellationToken);
                return text + i;
            })).BindAsExecutor<string, string>($"n{i}")).ToArray();
        var builder = new WorkflowBuilder(nodes[0]);
        for (var i = 1; i < Nodes; i++)
        {
            builder.AddEdge(nodes[i - 1], nodes[i]);
        }

        return builder.WithOutputFrom(nodes[^1]).Build();
    }

    private static string Output(Run run) =>
        run.OutgoingEvents.OfType<WorkflowOutputEvent>().Select(e => e.Data as string).LastOrDefault()
            ?? throw new InvalidOperationException($"the run ended without output: {string.Join(", ", run.OutgoingEvents)}");
}
