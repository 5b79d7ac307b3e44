using FlowState.Conformance;
using StackExchange.Redis;
using Xunit;

namespace FlowState.Redis.Tests;

/// <summary>A real redis-server for the tests, started by <c>scripts/start-redis.sh</c> on 127.0.0.1 and a free port, stopped by PID.</summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"flowstate-redistests-{Guid.NewGuid():N}");

    public string Configuration { get; private set; } = string.Empty;

    public int Port { get; private set; }

    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Port = int.Parse(await TestServerScripts.StartAsync("start-redis.sh", _directory), System.Globalization.CultureInfo.InvariantCulture);
        Configuration = $"127.0.0.1:{Port}";
        Connection = await ConnectionMultiplexer.ConnectAsync(Configuration);
    }

    public async Task DisposeAsync()
    {
        await Connection.DisposeAsync();
        await TestServerScripts.RunAsync("stop-redis.sh", _directory);
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Appends <paramref name="count"/> sequence-numbered entries (<c>seq</c>, <c>key</c>) to <paramref name="stream"/>.</summary>
    public async Task AppendAsync(string stream, int count, int keys, int from = 0)
    {
        var database = Connection.GetDatabase();
        var batch = database.CreateBatch();
        var adds = Enumerable.Range(from, count)
            .Select(i => batch.StreamAddAsync(stream, [new NameValueEntry("seq", i), new NameValueEntry("key", $"k{i % keys}")]))
            .ToList();
        batch.Execute();
        await Task.WhenAll(adds);
    }
}
