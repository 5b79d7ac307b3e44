using FlowState.Conformance;
using Xunit;

namespace FlowState.Redis.Tests;

/// <summary>
/// A real three-node Redis Cluster (no replicas) started by <c>scripts/start-redis-cluster.sh</c> on 127.0.0.1 and
/// free ports, stopped by PID at the end.
/// </summary>
public sealed class RedisClusterServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"flowstate-rediscluster-{Guid.NewGuid():N}");

    /// <summary>The StackExchange.Redis configuration naming every node.</summary>
    public string Configuration { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var ports = await TestServerScripts.StartAsync("start-redis-cluster.sh", _directory);
        Configuration = string.Join(',', ports.Trim().Split(',').Select(port => $"127.0.0.1:{port}"));
    }

    public async Task DisposeAsync()
    {
        await TestServerScripts.RunAsync("stop-redis-cluster.sh", _directory);
        Directory.Delete(_directory, recursive: true);
    }
}
