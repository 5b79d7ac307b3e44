using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using System.Diagnostics;
using FlowState.Conformance;
using FlowState.Flows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace FlowState.Redis.Tests;

/// <summary>What only the Redis shared backend does: durability levels against the server's persistence, a server crash, and the change feed that catches up from its stream.</summary>
[Collection(SharedRedisServer.Name)]
public sealed partial class RedisSharedStateBackendTests(RedisServer server)
{
    [Fact]
    public async Task A_watcher_never_hears_a_lookalike_prefixes_writes()
    {
        var name = $"l{Guid.NewGuid():N}"[..12];
        foreach (var (first, second) in new[] { (name, name + ":changes"), (name, name + ":scopes"), (name + ":a", name + ":a:b") })
        {
            await using var watched = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = first }) });
            await using var lookalike = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = second }) });
            await using var changes = watched.WatchAsync().GetAsyncEnumerator();
            var next = changes.MoveNextAsync().AsTask();

            await lookalike.For(StateScope.Workflow("w")).SetAsync("secret", "other tenant's value");
            await watched.For(StateScope.Workflow("w")).SetAsync("own", 1);

            Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal("own", changes.Current.Key);
            Assert.False(await watched.For(StateScope.Workflow("w")).ExistsAsync("secret"));
            Assert.Equal(0, await lookalike.For(StateScope.Workflow("w")).CountAsync() - 1);
        }
    }

    [Fact]
    public async Task Machine_durability_is_refused_on_a_server_without_an_fsync_per_write()
    {
        await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = $"m{Guid.NewGuid():N}" }),
            Durability = Durability.Machine,
        });

        var error = await Assert.ThrowsAsync<StateBackendException>(async () => await store.SetAsync("k", 1));

        Assert.Contains("appendfsync always", error.Message, StringComparison.Ordinal);
        Assert.False(await store.ExistsAsync("k"));
    }

    [Fact]
    public async Task UseRedis_shares_state_and_leases_between_service_providers()
    {
        var prefix = $"di{Guid.NewGuid():N}";
        ServiceProvider Build() => new ServiceCollection()
            .AddFlowState(flowState => flowState.UseRedis(server.Configuration, prefix).ConfigureSharedStore(o => o.MaxConflictRetries = 50))
            .BuildServiceProvider();
        await using var first = Build();
        await using var second = Build();

        var store = first.GetRequiredService<IStateStore>();
        await store.SetAsync("k", 1);
        var lease = await first.GetRequiredService<RunLeases>().TryAcquireAsync("run", "first", TimeSpan.FromMinutes(1));

        Assert.IsType<SharedStateStore>(store);
        Assert.Equal(1, await second.GetRequiredService<IStateStore>().GetAsync<int>("k"));
        Assert.NotNull(lease);
        Assert.Null(await second.GetRequiredService<RunLeases>().TryAcquireAsync("run", "second", TimeSpan.FromMinutes(1)));
        Assert.NotNull(first.GetService<FlowRunner>());
        Assert.Null(first.GetService<FlowStateStorage>());
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddFlowState(f => f.UseRedis(server.Configuration).UseBackend(_ => throw new InvalidOperationException())));
    }

    [Fact]
    public async Task UseRedis_reads_its_server_and_prefix_from_configuration()
    {
        var prefix = $"cfg{Guid.NewGuid():N}";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FlowState:Redis:Configuration"] = server.Configuration,
            ["FlowState:Redis:KeyPrefix"] = prefix,
        }).Build();
        await using var services = new ServiceCollection().AddFlowState(f => f.UseRedis(configuration.GetSection("FlowState:Redis"))).BuildServiceProvider();
        await using var direct = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = prefix }),
        });

        await services.GetRequiredService<IStateStore>().SetAsync("k", "configured");

        Assert.Equal("configured", await direct.GetAsync<string>("k"));
        var missing = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFlowState(f => f.UseRedis(configuration.GetSection("Nothing"))));
        Assert.Contains("Nothing:Configuration", missing.Message, StringComparison.Ordinal);
        var typo = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["R:Configuration"] = server.Configuration, ["R:KeyPrefx"] = "p" }).Build();
        var misspelled = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFlowState(f => f.UseRedis(typo.GetSection("R"))));
        Assert.Contains("KeyPrefx", misspelled.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commits_run_as_a_cached_script_called_by_its_sha()
    {
        await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = $"sha{Guid.NewGuid():N}" }),
        });
        await store.SetAsync("warm", 0); // the first call may send the script itself
        var before = await EvalShaCallsAsync();

        for (var i = 0; i < 5; i++)
        {
            await store.SetAsync($"k{i}", i);
        }

        Assert.True(await EvalShaCallsAsync() - before >= 5, "commits did not use EVALSHA");
    }

    [Fact]
    public void Options_that_cannot_work_are_refused_at_once()
    {
        Assert.Throws<ArgumentException>(() => new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = "" }));
        Assert.Throws<ArgumentException>(() => new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = "a{b}" }));
    }

    [Fact]
    public async Task Writes_acknowledged_at_machine_durability_survive_a_killed_and_restarted_server()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"flowstate-redis-aof-{Guid.NewGuid():N}");
        var port = await TestServerScripts.StartAsync("start-redis.sh", directory, "aof");
        try
        {
            await SharedServerCrashCheck.RunAsync(
                new RedisSharedStateBackend(new RedisSharedStateBackendOptions
                {
                    Configuration = OwnServer(port),
                    // The watcher's feed ends this long after the server went away (default 30 s): the check waits for it.
                    ReconnectTimeout = TimeSpan.FromSeconds(3),
                }),
                () => KillAsync(directory),
                () => TestServerScripts.StartAsync("start-redis.sh", directory));
        }
        finally
        {
            await TestServerScripts.RunAsync("stop-redis.sh", directory);
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task UseRedis_on_a_connection_the_app_registered_shares_state_and_leaves_the_connection_open()
    {
        var prefix = $"di-client-{Guid.NewGuid():N}";
        await using (var provider = new ServiceCollection()
            .AddSingleton<StackExchange.Redis.IConnectionMultiplexer>(server.Connection)
            .AddFlowState(f => f.UseRedis(p => p.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(), prefix))
            .BuildServiceProvider())
        {
            await provider.GetRequiredService<IStateStore>().SetAsync("greeting", "hello");
        }

        await using var again = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = new RedisSharedStateBackend(server.Connection, prefix) });
        Assert.Equal("hello", await again.GetAsync<string>("greeting"));
        Assert.True(server.Connection.IsConnected, "the store closed a connection the app owns");
    }

    [Fact]
    public async Task A_lost_and_restored_connection_is_logged_and_reads_work_again()
    {
        await OnOwnServerAsync(async (directory, port) =>
        {
            var logs = new FakeLogCollector();
            using var loggers = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
            await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
            {
                Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions
                {
                    Configuration = OwnServer(port),
                    KeyPrefix = "logged",
                    LoggerFactory = loggers,
                }),
            });
            await store.SetAsync("k", "kept");
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var records = logs.GetLogsAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

            // The server's own command drops every other client's connection; the server stays up.
            await using (var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}"))
            {
                await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
            }

            var seen = new List<int>();
            while (!seen.Contains(502) && await records.MoveNextAsync())
            {
                seen.Add(records.Current.Id.Id);
            }

            Assert.Equal("kept", await store.GetAsync<string>("k"));
            var connected = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 500);
            Assert.Contains($"Redis store 'logged' connected to 127.0.0.1:{port}", connected.Message, StringComparison.Ordinal);
            var lost = logs.GetSnapshot().First(r => r.Id.Id == 501);
            Assert.Equal(LogLevel.Warning, lost.Level);
            Assert.Contains($"the connection to 127.0.0.1:{port} failed", lost.Message, StringComparison.Ordinal);
            Assert.Contains(502, seen);
            await records.DisposeAsync();
        });
    }

    [Fact]
    public async Task A_read_while_the_server_is_gone_is_retried_then_fails_naming_the_cause()
    {
        await OnOwnServerAsync(async (directory, port) =>
        {
            var logs = new FakeLogCollector();
            using var loggers = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
            await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
            {
                Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions
                {
                    Configuration = $"127.0.0.1:{port},abortConnect=false,connectTimeout=500,syncTimeout=500,asyncTimeout=500",
                    KeyPrefix = "retried",
                    LoggerFactory = loggers,
                }),
            });
            await store.SetAsync("k", 1);
            await KillAsync(directory);

            var error = await Assert.ThrowsAsync<StateBackendException>(() => store.GetAsync<int>("k").AsTask());

            Assert.Contains("failed to read", error.Message, StringComparison.Ordinal);
            Assert.Equal([1, 2, 3], logs.GetSnapshot().Where(r => r.Id.Id == 503).Select(r => int.Parse(System.Text.RegularExpressions.Regex.Match(r.Message, "retry ([0-9]+) in").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        });
    }

    [Fact]
    public async Task The_health_check_turns_unhealthy_when_the_server_stops()
    {
        await OnOwnServerAsync(async (directory, port) =>
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
            builder.Services.AddFlowState(f => f.UseRedis($"127.0.0.1:{port},abortConnect=false,connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000", "health"));
            builder.Services.AddHealthChecks().AddFlowStateHealthChecks(configure: o => o.ProbeTimeout = TimeSpan.FromSeconds(3));
            using var host = builder.Build();
            await host.StartAsync();
            var health = host.Services.GetRequiredService<HealthCheckService>();

            var running = (await health.CheckHealthAsync()).Entries["flowstate"];
            await KillAsync(directory);

            var stopped = (await health.CheckHealthAsync()).Entries["flowstate"];

            Assert.Equal(HealthStatus.Healthy, running.Status);
            Assert.Contains("the server answers", running.Description, StringComparison.Ordinal);
            Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
            Assert.Contains("does not answer", stopped.Description, StringComparison.Ordinal);
            await host.StopAsync();
        });
    }

    private async Task<long> EvalShaCallsAsync()
    {
        var info = (string)(await server.Connection.GetDatabase().ExecuteAsync("INFO", "commandstats"))!;
        var line = info.Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split("calls=")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Kills the redis-server started in <paramref name="directory"/> (SIGKILL: no shutdown, no save) and waits until it is gone.</summary>
    private static async Task KillAsync(string directory)
    {
        using var redis = Process.GetProcessById(int.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "redis.pid")), System.Globalization.CultureInfo.InvariantCulture));
        redis.Kill();
        await redis.WaitForExitAsync();
    }

    /// <summary>The configuration of a store on a server of the test's own (started by <see cref="OnOwnServerAsync"/>): it reconnects, and gives up on a command after two seconds.</summary>
    private static string OwnServer(string port) => $"127.0.0.1:{port},abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    /// <summary>Runs <paramref name="test"/> against a redis-server of its own (it may kill it), stopped and removed afterwards.</summary>
    private static async Task OnOwnServerAsync(Func<string, string, Task> test, string? persistence = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"flowstate-redis-own-{Guid.NewGuid():N}");
        var port = persistence is null ? await TestServerScripts.StartAsync("start-redis.sh", directory) : await TestServerScripts.StartAsync("start-redis.sh", directory, persistence);
        try
        {
            await test(directory, port);
        }
        finally
        {
            await TestServerScripts.RunAsync("stop-redis.sh", directory);
            Directory.Delete(directory, recursive: true);
        }
    }
}
