using Xunit;

namespace FlowState.Redis.Tests;

/// <summary>Every Redis test class shares one server.</summary>
[CollectionDefinition(Name)]
public sealed class SharedRedisServer : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";
}
