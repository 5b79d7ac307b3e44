using FlowState.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// FlowState in a .NET host, on a real SQLite file: the store opens when the host starts (and a store that cannot open
/// stops the host from starting), flushes and closes when it stops, and its health check follows the store's state.
/// </summary>
public sealed class SqliteHostingTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static IHost Build(Action<FlowStateBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddFlowState(configure);
        builder.Services.AddHealthChecks().AddFlowStateHealthChecks();
        return builder.Build();
    }

    private static async Task<HealthReportEntry> HealthAsync(IHost host) =>
        (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["flowstate"];

    [Fact]
    public async Task The_store_opens_when_the_host_starts_and_is_healthy()
    {
        var path = _directory.File("hosted.db");
        using var host = Build(f => f.UseSqlite(path));

        var before = await HealthAsync(host);
        await host.StartAsync();
        var after = await HealthAsync(host);

        Assert.Equal(HealthStatus.Degraded, before.Status);
        Assert.Equal("the store is not open yet (a host opens it when it starts)", before.Description);
        Assert.True(File.Exists(path), "the host's start opened the store before anything resolved it");
        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal($"StateStore(default: sqlite:{path}): open", after.Description);
        Assert.Equal(0, after.Data["pendingCommits"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_store_that_cannot_open_stops_the_host_from_starting_with_the_backends_error()
    {
        var path = _directory.File(Path.Combine("missing-folder", "x.db"));
        using var host = Build(f => f.UseSqlite(path));

        var error = await Assert.ThrowsAsync<StateBackendException>(() => host.StartAsync());
        var health = await HealthAsync(host);

        Assert.Contains("its folder", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.StartsWith("the store could not be opened: ", health.Description, StringComparison.Ordinal);
        Assert.Same(error, health.Exception);
    }

    [Fact]
    public async Task Stopping_the_host_flushes_writes_behind_and_closes_the_store()
    {
        var path = _directory.File("flushed.db");
        using (var host = Build(f => f.UseSqlite(path).ConfigureStore(o => o.Durability = Durability.None)))
        {
            await host.StartAsync();
            var store = host.Services.GetRequiredService<StateStore>();
            for (var i = 0; i < 500; i++)
            {
                await store.SetAsync($"k{i}", i);   // written behind: acknowledged before it reaches the file
            }

            await host.StopAsync();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.SetAsync("late", 1));
        }

        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) });
        Assert.Equal(500, await reopened.CountAsync());
        Assert.Equal(499, await reopened.GetAsync<int>("k499"));
    }

    [Fact]
    public async Task The_health_check_turns_unhealthy_when_a_backend_write_fails_and_names_the_cause()
    {
        FailingBackend? failing = null;
        using var host = Build(f => f.UseBackend(_ => failing = new FailingBackend(new SqliteStateBackend(_directory.File("failing.db")))));
        await host.StartAsync();
        var store = host.Services.GetRequiredService<StateStore>();
        await store.SetAsync("before", 1);

        failing!.Arm();
        var write = store.SetAsync("k", 2).AsTask();
        failing.Fail();
        await Assert.ThrowsAsync<StateBackendException>(() => write);
        var health = await HealthAsync(host);

        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains("a backend write failed, so the store refuses writes until it is opened again: ", health.Description, StringComparison.Ordinal);
        Assert.Contains("No space left on device", health.Description, StringComparison.Ordinal);
        Assert.Same(store.FaultCause, health.Exception);
        await host.StopAsync();
    }

    [Fact]
    public async Task Keyed_stores_live_beside_the_unkeyed_one_each_on_its_file_opened_and_checked_on_its_own()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddFlowState(f => f.UseSqlite(_directory.File("main.db")));
        builder.Services.AddKeyedFlowState("orders", f => f.UseSqlite(_directory.File("orders.db")).ConfigureStore(o => o.MaxEntries = 1000));
        builder.Services.AddKeyedFlowState("audit", f => f.UseSqlite(_directory.File(Path.Combine("missing", "audit.db"))));
        builder.Services.AddHealthChecks()
            .AddFlowStateHealthChecks()
            .AddFlowStateHealthChecks("flowstate-orders", key: "orders")
            .AddFlowStateHealthChecks("flowstate-audit", key: "audit");
        using var host = builder.Build();

        // The stores open in the order they were registered; the audit store's folder is missing: the host does not
        // start, and says why — after the two stores before it opened.
        await Assert.ThrowsAsync<StateBackendException>(() => host.StartAsync());
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var main = host.Services.GetRequiredService<StateStore>();
        var orders = host.Services.GetRequiredKeyedService<StateStore>("orders");
        await orders.SetAsync("o-1", "paid");
        await host.Services.GetRequiredKeyedService<Flows.FlowRunner>("orders").Runs.MergeStateAsync("r1", new { step = 1 });

        Assert.NotSame(main, orders);
        Assert.Equal(("default", "orders"), (main.Name, orders.Name));
        Assert.Equal($"StateStore(orders: sqlite:{_directory.File("orders.db")})", orders.ToString());
        Assert.Equal("paid", await host.Services.GetRequiredKeyedService<IStateStore>("orders").GetAsync<string>("o-1"));
        Assert.False(await main.ExistsAsync("o-1"));
        Assert.Equal(HealthStatus.Healthy, report.Entries["flowstate"].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["flowstate-orders"].Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["flowstate-audit"].Status);
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddKeyedFlowState("orders").AddKeyedFlowState("orders"));
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddFlowState().AddFlowState());
        await host.StopAsync();
    }

    [Fact]
    public async Task The_backend_and_slow_commits_are_logged_through_the_hosts_loggers()
    {
        var path = _directory.File("logged.db");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.AddFakeLogging().SetMinimumLevel(LogLevel.Debug);
        // Every backend transaction counts as slow here, so that the warning is certain to be written.
        builder.Services.AddFlowState(f => f.UseSqlite(path).ConfigureStore(o => o.SlowCommitThreshold = TimeSpan.Zero));
        using var host = builder.Build();
        var logs = host.Services.GetFakeLogCollector();

        await host.StartAsync();
        await host.Services.GetRequiredService<StateStore>().SetAsync("k", 1);
        await host.StopAsync();

        var records = logs.GetSnapshot();
        var opened = Assert.Single(records, r => r.Id.Id == 300);
        Assert.StartsWith($"SQLite file '{path}' opened in ", opened.Message, StringComparison.Ordinal);
        var slow = records.First(r => r.Id.Id == 5);
        Assert.Equal(LogLevel.Warning, slow.Level);
        Assert.Contains($"Store 'default': a backend transaction on sqlite:{path} took", slow.Message, StringComparison.Ordinal);
        Assert.Contains(records, r => r.Id.Id == 303 && r.Message == $"SQLite file '{path}' closed.");
    }
}
