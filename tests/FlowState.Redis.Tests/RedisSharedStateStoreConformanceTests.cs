using FlowState.Conformance;
using Xunit;

namespace FlowState.Redis.Tests;

/// <summary>The shared-store conformance suite on a real redis-server, each test under a key prefix of its own.</summary>
[Collection(SharedRedisServer.Name)]
public sealed class RedisSharedStateStoreConformanceTests(RedisServer server) : SharedStateStoreWorkerConformanceTests
{
    protected override ISharedStateBackend CreateBackend(string name) =>
        new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = name });

    protected override string HarnessServer => $"redis:{server.Configuration}";
}
