using FlowState.AgentFramework;
using FlowState.Conformance;
using Microsoft.Agents.AI.Workflows.Checkpointing;
using Xunit;

namespace FlowState.Redis.Tests;

/// <summary>Agent Framework checkpoints in a shared store on a real redis-server, each test under a key prefix of its own.</summary>
[Collection(SharedRedisServer.Name)]
public sealed class RedisCheckpointStoreBehaviourTests(RedisServer server) : CheckpointStoreBehaviourTests
{
    private SharedStateStore? _shared;

    protected override JsonCheckpointStore Store => new FlowStateCheckpointStore(_shared!.For(StateScope.Custom("agent-framework")));

    public override async Task InitializeAsync() =>
        _shared = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = $"af{Guid.NewGuid():N}"[..20] }),
        });

    public override async Task DisposeAsync() => await _shared!.DisposeAsync();
}
