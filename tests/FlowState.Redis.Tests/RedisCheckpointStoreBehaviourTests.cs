using FlowState.Conformance;
using Xunit;

namespace FlowState.Redis.Tests;

/// <summary>Agent Framework checkpoints in a shared store on a real redis-server.</summary>
[Collection(SharedRedisServer.Name)]
public sealed class RedisCheckpointStoreBehaviourTests(RedisServer server) : SharedCheckpointStoreBehaviourTests
{
    protected override ISharedStateBackend CreateBackend(string name) =>
        new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = name });
}
