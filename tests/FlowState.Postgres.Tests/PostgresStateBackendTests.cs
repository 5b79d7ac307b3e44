using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>PostgreSQL-specific behaviour: one store per table, configuration, and a server that is not there.</summary>
[Collection(FaultTestsPostgresServer.Name)]
public sealed class PostgresStateBackendTests(PostgresServer server)
{
    private static string NewTable() => $"state_{Guid.NewGuid():N}";

    [Fact]
    public async Task A_table_held_by_another_store_is_refused_until_that_store_closes()
    {
        var table = NewTable();
        var first = await StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(server.ConnectionString, table) });
        await first.SetAsync("k", 1);

        var error = await Assert.ThrowsAsync<StateBackendException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(server.ConnectionString, table) }));
        await first.SetAsync("k", 2);
        await first.DisposeAsync();
        await using var second = await StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(server.ConnectionString, table) });

        Assert.Contains(table, error.Message, StringComparison.Ordinal);
        Assert.Contains("in use by another FlowState store", error.Message, StringComparison.Ordinal);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(error.Message, "holds the table's advisory lock: session [0-9]+( of '[^']*')? from .* since [0-9-]+ [0-9:]+ UTC; waited 5 s"), error.Message);
        Assert.Equal(2, await second.GetAsync<int>("k"));
    }

    [Fact]
    public async Task UsePostgres_keeps_state_in_the_table_across_service_providers()
    {
        var table = NewTable();
        await using (var provider = new ServiceCollection().AddFlowState(f => f.UsePostgres(server.ConnectionString, table)).BuildServiceProvider())
        {
            await provider.GetRequiredService<IStateStore>().SetAsync("greeting", "hello");
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pg:ConnectionString"] = server.ConnectionString,
            ["Pg:Table"] = table,
        }).Build();
        await using var reopened = new ServiceCollection()
            .AddFlowState(f => f.UsePostgres(configuration.GetSection("Pg")))
            .BuildServiceProvider();
        Assert.Equal("hello", await reopened.GetRequiredService<IStateStore>().GetAsync<string>("greeting"));
        Assert.Equal(["hello"], await server.QueryStringsAsync($"SELECT convert_from(value, 'UTF8')::jsonb #>> '{{}}' FROM {table}"));

        // Read-only from configuration too: beside the store above, which holds the table's lock.
        var readOnly = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pg:ConnectionString"] = server.ConnectionString,
            ["Pg:Table"] = table,
            ["Pg:ReadOnly"] = "true",
        }).Build();
        await using var reader = new ServiceCollection().AddFlowState(f => f.UsePostgres(readOnly.GetSection("Pg"))).BuildServiceProvider();
        var store = reader.GetRequiredService<IStateStore>();
        Assert.Equal("hello", await store.GetAsync<string>("greeting"));
        await Assert.ThrowsAsync<StateRejectedException>(async () => await store.SetAsync("greeting", "changed"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad name")]
    [InlineData("x; DROP TABLE y")]
    [InlineData("a.b.c")]
    public void A_table_name_that_is_not_an_identifier_is_refused(string table)
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgresStateBackend(server.ConnectionString, table));

        Assert.Contains("plain identifier", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_is_not_there_is_a_backend_error_at_open()
    {
        var nowhere = "Host=127.0.0.1;Port=1;Username=postgres;Database=postgres;Timeout=3";

        var error = await Assert.ThrowsAsync<StateBackendException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(nowhere, NewTable()) }));

        Assert.Contains("failed to open", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_server_crash_and_restart_the_store_opens_a_new_session_with_the_lock_and_goes_on_writing()
    {
        await WithOwnServerAsync(async (connectionString, crashAndRestartAsync) =>
        {
            var table = NewTable();
            await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(connectionString, table), Durability = Durability.Machine }))
            {
                await store.SetAsync("before", 1);
                await crashAndRestartAsync();

                await store.SetAsync("after", 2);
                await store.SetAsync("again", 3);

                // The new session holds the table's lock: a second store is still refused.
                var second = await Assert.ThrowsAsync<StateBackendException>(() => StateStore.OpenAsync(new StateStoreOptions
                {
                    Backend = new PostgresStateBackend(new PostgresStateBackendOptions { ConnectionString = connectionString, Table = table, LockWaitTimeout = TimeSpan.FromMilliseconds(200) }),
                }));
                Assert.Contains("in use by another FlowState store", second.Message, StringComparison.Ordinal);
            }

            await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(connectionString, table) });
            Assert.Equal((1, 2, 3), (await reopened.GetAsync<int>("before"), await reopened.GetAsync<int>("after"), await reopened.GetAsync<int>("again")));
        });
    }

    [Fact]
    public async Task A_store_whose_table_another_store_wrote_while_its_session_was_down_refuses_to_go_on()
    {
        await WithOwnServerAsync(async (connectionString, crashAndRestartAsync) =>
        {
            var table = NewTable();
            await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(connectionString, table), Durability = Durability.Machine }))
            {
                await store.SetAsync("mine", 1);
                await crashAndRestartAsync();
                await using (var other = await StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(connectionString, table), Durability = Durability.Machine }))
                {
                    await other.SetAsync("theirs", 2);
                }

                var error = await Assert.ThrowsAsync<StateBackendException>(async () => await store.SetAsync("mine", 3));
                Assert.Contains("written by another store while this store's session was down", error.Message, StringComparison.Ordinal);
                Assert.Contains("'theirs'", error.Message, StringComparison.Ordinal);
            }

            await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(connectionString, table) });
            Assert.Equal((1, 2), (await reopened.GetAsync<int>("mine"), await reopened.GetAsync<int>("theirs")));
        });
    }

    private static async Task WithOwnServerAsync(Func<string, Func<Task>, Task> test)
    {
        await using var own = await OwnPostgresServer.StartAsync();
        await test(own.ConnectionString, own.CrashAndRestartAsync);
    }
}
