using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>
/// Backends on an <see cref="NpgsqlDataSource"/> the app registered (as .NET Aspire does), their logs, and reads retried
/// after the server dropped their connections.
/// </summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresDataSourceTests(PostgresServer server)
{
    private static string NewTable() => $"ds_{Guid.NewGuid():N}";

    [Fact]
    public async Task A_store_on_the_apps_data_source_releases_its_table_lock_and_leaves_the_data_source_open()
    {
        var table = NewTable();
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        var services = new ServiceCollection()
            .AddSingleton(dataSource)
            .AddFlowState(f => f.UsePostgres(provider => provider.GetRequiredService<NpgsqlDataSource>(), table));
        await using (var provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<IStateStore>().SetAsync("greeting", "hello");
        }

        // The session went back to the app's pool, which keeps it open: had it kept the table's lock, this store on a
        // connection of its own would wait and be refused.
        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions
        {
            Backend = new PostgresStateBackend(new PostgresStateBackendOptions { ConnectionString = server.ConnectionString, Table = table, LockWaitTimeout = TimeSpan.Zero }),
        });
        Assert.Equal("hello", await reopened.GetAsync<string>("greeting"));
        await using var command = dataSource.CreateCommand("SELECT 1");
        Assert.Equal(1, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Shared_stores_on_the_apps_data_source_see_each_others_writes_and_free_the_table_when_closed()
    {
        var table = NewTable();
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        ServiceProvider Provider() => new ServiceCollection()
            .AddSingleton(dataSource)
            .AddFlowState(f => f.UseSharedPostgres(provider => provider.GetRequiredService<NpgsqlDataSource>(), table))
            .BuildServiceProvider();
        await using (var first = Provider())
        await using (var second = Provider())
        {
            await first.GetRequiredService<IStateStore>().SetAsync("k", 41);
            Assert.Equal(41, await second.GetRequiredService<IStateStore>().GetAsync<int>("k"));
        }

        await using var exclusive = await StateStore.OpenAsync(new StateStoreOptions
        {
            Backend = new PostgresStateBackend(new PostgresStateBackendOptions { ConnectionString = server.ConnectionString, Table = table, LockWaitTimeout = TimeSpan.Zero }),
        });
        Assert.Equal(41, await exclusive.GetAsync<int>("k"));
    }

    [Fact]
    public async Task A_store_waiting_for_a_held_table_logs_who_holds_it()
    {
        var table = NewTable();
        var logs = new FakeLogCollector();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Debug));
        await using var holder = await StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(server.ConnectionString, table) });

        await Assert.ThrowsAsync<StateBackendException>(() => StateStore.OpenAsync(new StateStoreOptions
        {
            Backend = new PostgresStateBackend(new PostgresStateBackendOptions
            {
                ConnectionString = server.ConnectionString,
                Table = table,
                LockWaitTimeout = TimeSpan.FromMilliseconds(300),
                LoggerFactory = loggers,
            }),
        }));

        var waiting = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 401);
        Assert.Equal(LogLevel.Warning, waiting.Level);
        Assert.Matches($"PostgreSQL table '{table}': another FlowState store holds its lock: session [0-9]+.* UTC; waiting up to 0.3 s for it to go.", waiting.Message);
    }

    [Fact]
    public async Task A_shared_read_on_a_connection_the_server_dropped_is_retried_and_logged()
    {
        var table = NewTable();
        var application = $"fs-reads-{Guid.NewGuid():N}"[..30];
        var logs = new FakeLogCollector();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        await using var dataSource = NpgsqlDataSource.Create($"{server.ConnectionString};Application Name={application}");
        await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions
            {
                DataSource = dataSource,
                // The session (lock, LISTEN) on a connection of its own, so that only the pooled ones are dropped.
                SessionConnectionString = server.ConnectionString,
                Table = table,
                LoggerFactory = loggers,
            }),
        });
        await store.SetAsync("k", "before");
        Assert.Equal("before", await store.GetAsync<string>("k"));

        var dropped = await server.QueryStringsAsync($"SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE application_name = '{application}'");

        Assert.NotEmpty(dropped);
        Assert.Equal("before", await store.GetAsync<string>("k"));
        var retried = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 404);
        Assert.Contains($"PostgreSQL table '{table}': a read failed", retried.Message, StringComparison.Ordinal);
        Assert.Contains("retry 1 in", retried.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_whose_server_is_unreachable_does_not_start_and_says_why()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddFlowState(f => f.UsePostgres("Host=127.0.0.1;Port=1;Username=postgres;Database=postgres;Timeout=3", NewTable()));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<StateBackendException>(() => host.StartAsync());

        Assert.Contains("failed to open", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:1", error.ToString(), StringComparison.Ordinal);
    }
}
