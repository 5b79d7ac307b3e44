using FlowState.AgentFramework;
using FlowState.Conformance;
using Microsoft.Agents.AI.Workflows.Checkpointing;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>Agent Framework checkpoints in a shared store on a real PostgreSQL server, each test on a table of its own.</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresCheckpointStoreBehaviourTests(PostgresServer server) : CheckpointStoreBehaviourTests
{
    private SharedStateStore? _shared;

    protected override JsonCheckpointStore Store => new FlowStateCheckpointStore(_shared!.For(StateScope.Custom("agent-framework")));

    public override async Task InitializeAsync() =>
        _shared = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new PostgresSharedStateBackend(server.ConnectionString, $"af{Guid.NewGuid():N}"[..20]),
        });

    public override async Task DisposeAsync() => await _shared!.DisposeAsync();
}
