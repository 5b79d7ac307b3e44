using FlowState.Conformance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>PostgreSQL-specific behaviour of the shared backend: it and an exclusive store never use one table at once; a table an exclusive store wrote is continued; a server crash.</summary>
[Collection(FaultTestsPostgresServer.Name)]
public sealed class PostgresSharedStateBackendTests(PostgresServer server)
{
    private static string NewTable() => $"shared_{Guid.NewGuid():N}";

    private Task<SharedStateStore> OpenSharedAsync(string table) =>
        SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = new PostgresSharedStateBackend(server.ConnectionString, table) });

    [Fact]
    public async Task Shared_and_exclusive_stores_refuse_each_others_table()
    {
        var table = NewTable();
        await using (var shared = await OpenSharedAsync(table))
        {
            await using var otherShared = await OpenSharedAsync(table);
            await shared.SetAsync("k", 1);
            Assert.Equal(1, await otherShared.GetAsync<int>("k"));
            var refused = await Assert.ThrowsAsync<StateBackendException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(server.ConnectionString, table) }));
            Assert.Contains("in use by another FlowState store", refused.Message, StringComparison.Ordinal);
        }

        await using (var exclusive = await StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(server.ConnectionString, table) }))
        {
            Assert.Equal(1, await exclusive.GetAsync<int>("k"));
            var refused = await Assert.ThrowsAsync<StateBackendException>(() => OpenSharedAsync(table));
            Assert.Contains("exclusive FlowState store", refused.Message, StringComparison.Ordinal);
            for (var i = 0; i < 50; i++)
            {
                await exclusive.SetAsync("k", i);
            }
        }

        await using var reopened = await OpenSharedAsync(table);
        var before = (await reopened.GetEntryAsync("k"))!.Version;
        Assert.True(await reopened.SetAsync("k", "shared again") > before, "the version sequence continues above the exclusive store's versions");
    }

    [Fact]
    public async Task A_watcher_never_hears_a_lookalike_tables_writes()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        await server.QueryStringsAsync($"CREATE SCHEMA s{suffix}; SELECT 'ok'");
        var pairs = new[] { ($"s{suffix}.x", $"s{suffix}_x"), ($"t{suffix}", $"t{suffix}_version"), ($"t{suffix}", $"t{suffix}_commit") };
        foreach (var (first, second) in pairs)
        {
            await using var watched = await OpenSharedAsync(first);
            await using var lookalike = await OpenSharedAsync(second);
            await using var changes = watched.WatchAsync().GetAsyncEnumerator();
            var next = changes.MoveNextAsync().AsTask();

            await lookalike.SetAsync("secret", "other tenant's value");
            await watched.SetAsync("own", 1);

            Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal("own", changes.Current.Key);
            Assert.Equal("other tenant's value", await lookalike.GetAsync<string>("secret"));
            Assert.False(await watched.ExistsAsync("secret"));
            Assert.True(await lookalike.SetAsync("secret", "again") > 0, $"{second}: writes keep working beside {first}");
        }
    }

    [Theory]
    [InlineData("pg_class")]
    [InlineData("pg_catalog.flowstate")]
    [InlineData("information_schema.flowstate")]
    [InlineData("a_table_name_that_is_longer_than_fifty_five_characters_ok")]
    public void A_system_or_too_long_table_name_is_refused_before_anything_is_sent(string table)
    {
        var shared = Assert.Throws<ArgumentException>(() => new PostgresSharedStateBackend(server.ConnectionString, table));
        var exclusive = Assert.Throws<ArgumentException>(() => new PostgresStateBackend(server.ConnectionString, table));

        Assert.Contains(table.Split('.')[0], shared.Message, StringComparison.Ordinal);
        Assert.Equal(shared.Message, exclusive.Message);
    }

    [Fact]
    public async Task A_table_name_of_55_characters_opens_and_writes()
    {
        var table = ("n" + Guid.NewGuid().ToString("N") + new string('x', 55))[..55];
        await using var store = await OpenSharedAsync(table);

        Assert.True(await store.SetAsync("k", 1) > 0);
        Assert.Equal(1, await store.GetAsync<int>("k"));
    }

    [Fact]
    public async Task Without_change_notifications_writes_work_and_watching_is_refused()
    {
        var table = NewTable();
        await using var quiet = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions { ConnectionString = server.ConnectionString, Table = table, NotifyChanges = false }),
        });
        await using var watching = await OpenSharedAsync(table);
        var changes = watching.WatchAsync().GetAsyncEnumerator();
        var next = changes.MoveNextAsync().AsTask();

        await quiet.SetAsync("silent", 1);
        await watching.SetAsync("heard", 2);

        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("heard", changes.Current.Key);
        Assert.Equal(1, await watching.GetAsync<int>("silent"));
        var refused = Assert.Throws<NotSupportedException>(() => quiet.WatchAsync());
        Assert.Contains("NotifyChanges", refused.Message, StringComparison.Ordinal);
        await changes.DisposeAsync();
    }

    [Fact]
    public async Task UseSharedPostgres_from_configuration_registers_a_shared_store_on_the_table()
    {
        var table = NewTable();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["State:ConnectionString"] = server.ConnectionString,
            ["State:SessionConnectionString"] = server.ConnectionString,
            ["State:Table"] = table,
            ["State:NotifyChanges"] = "false",
        }).Build();
        await using var services = new ServiceCollection().AddFlowState(f => f.UseSharedPostgres(configuration.GetSection("State"))).BuildServiceProvider();
        await using var other = await OpenSharedAsync(table);

        await services.GetRequiredService<IStateStore>().SetAsync("k", "from DI");

        Assert.Equal("from DI", await other.GetAsync<string>("k"));
        Assert.NotNull(services.GetService<RunLeases>());
        Assert.Throws<NotSupportedException>(() => services.GetRequiredService<IStateStore>().WatchAsync());
        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["State:ConnectionString"] = "Host=x", ["State:NotifyChanges"] = "sometimes" }).Build();
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFlowState(f => f.UseSharedPostgres(bad.GetSection("State"))));
        var typo = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["State:ConnectionString"] = "Host=x", ["State:Tabel"] = "t" }).Build();
        Assert.Contains("Tabel", Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFlowState(f => f.UseSharedPostgres(typo.GetSection("State")))).Message, StringComparison.Ordinal);
        Assert.Contains("Tabel", Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFlowState(f => f.UsePostgres(typo.GetSection("State")))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_change_table_keeps_a_commits_changes_unless_configuration_turns_it_off()
    {
        async Task<long> ChangeRowsAsync(string table) =>
            long.Parse((await server.QueryStringsAsync($"SELECT count(*)::text FROM {PostgresTableName.Derived(table, "changes")}")).Single(), System.Globalization.CultureInfo.InvariantCulture);
        var kept = NewTable();
        var off = NewTable();
        await using (var store = await OpenSharedAsync(kept))
        {
            await store.SetAsync("k", 1);
            await store.DeleteAsync("k");
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["State:ConnectionString"] = server.ConnectionString,
            ["State:Table"] = off,
            ["State:ChangeRetention"] = "0",
            ["State:ReconnectTimeout"] = "00:00:05",
        }).Build();
        await using (var services = new ServiceCollection().AddFlowState(f => f.UseSharedPostgres(configuration.GetSection("State"))).BuildServiceProvider())
        {
            await services.GetRequiredService<IStateStore>().SetAsync("k", 1);
        }

        Assert.Equal((2L, 0L), (await ChangeRowsAsync(kept), await ChangeRowsAsync(off)));
        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["State:ConnectionString"] = "Host=x", ["State:ChangeRetention"] = "lots" }).Build();
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddFlowState(f => f.UseSharedPostgres(bad.GetSection("State"))));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions { ConnectionString = "Host=x", ChangeRetention = -1 }));
    }

    [Fact]
    public async Task The_session_opens_on_the_session_connection_string_when_one_is_given()
    {
        var error = await Assert.ThrowsAsync<StateBackendException>(() => SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions
            {
                ConnectionString = server.ConnectionString,
                SessionConnectionString = "Host=127.0.0.1;Port=1;Username=postgres;Timeout=2",
                Table = NewTable(),
            }),
        }));

        Assert.Contains("failed to open", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions { ConnectionString = server.ConnectionString, SessionConnectionString = " " }));
    }

    [Fact]
    public async Task A_server_that_is_not_there_is_a_backend_error_at_open()
    {
        var error = await Assert.ThrowsAsync<StateBackendException>(() => SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new PostgresSharedStateBackend("Host=127.0.0.1;Port=1;Username=postgres;Timeout=2", NewTable()),
        }));

        Assert.Contains("failed to open", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_server_restart_the_first_read_is_repeated_on_a_new_connection_instead_of_failing()
    {
        await using var own = await OwnPostgresServer.StartAsync();
        await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new PostgresSharedStateBackend(own.ConnectionString, NewTable()),
            Durability = Durability.Machine,
        });
        var run = store.For(StateScope.Workflow("restart"));

        // Eight callers at once leave several idle connections in the pool.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await run.UpdateAsync<int>($"k{caller}", n => n + 1);
            }
        })));
        var pooled = await ClientConnectionsAsync(own.ConnectionString) - 1; // the store's own session is the other one
        Assert.True(pooled >= 2, $"the pool holds {pooled} connection(s); the check needs several");

        await own.CrashAndRestartAsync();

        // Every pooled connection is dead now. The first read meets one (Npgsql then clears its pool) and reads
        // again on a new connection instead of failing; after that no operation meets a dead connection.
        Assert.Equal(20, await run.GetAsync<int>("k0"));
        for (var caller = 0; caller < 8; caller++)
        {
            Assert.Equal(21, await run.UpdateAsync<int>($"k{caller}", n => n + 1));
        }
    }

    [Fact]
    public async Task A_watcher_keeps_watching_through_a_server_restart_and_gets_what_was_committed_meanwhile_in_order()
    {
        await using var own = await OwnPostgresServer.StartAsync();
        var table = NewTable();
        await using var watching = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = new PostgresSharedStateBackend(own.ConnectionString, table) });
        await using var writing = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = new PostgresSharedStateBackend(own.ConnectionString, table), Durability = Durability.Machine });
        var seen = new List<StateChange>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var watcher = Task.Run(async () =>
        {
            await foreach (var change in watching.WatchAsync(cancellationToken: stop.Token))
            {
                lock (seen)
                {
                    seen.Add(change);
                    if (change.Key == "last")
                    {
                        enough.TrySetResult();
                    }
                }
            }
        });

        for (var i = 1; i <= 4; i++)
        {
            await writing.SetAsync("counter", i);
        }

        // Over NOTIFY's payload limit: its value comes from the change table, whether the feed reads it before the
        // crash or catches up on it after.
        await writing.SetAsync("big", new string('x', 9000));
        await own.CrashAndRestartAsync();
        for (var i = 5; i <= 8; i++)
        {
            var value = i;
            await SharedServerCrashCheck.RetryWhileReconnectingAsync(() => writing.SetAsync("counter", value).AsTask());
        }

        await SharedServerCrashCheck.RetryWhileReconnectingAsync(() => writing.DeleteAsync("big").AsTask());
        await writing.SetAsync("last", true);
        await enough.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);

        List<StateChange> changes;
        lock (seen)
        {
            changes = [.. seen];
        }

        // A write retried while the writer reconnected may have been applied twice (the same value, once more).
        Assert.Equal(Enumerable.Range(1, 8), changes.Where(c => c.Key == "counter").Select(c => System.Text.Json.JsonSerializer.Deserialize<int>(c.Value.Span)).Distinct());
        Assert.Equal([StateChangeKind.Set, StateChangeKind.Deleted], changes.Where(c => c.Key == "big").Select(c => c.Kind));
        Assert.Equal(9002, changes.First(c => c.Key == "big").Value.Length);
        Assert.Equal(changes.Select(c => c.Version).Order(), changes.Select(c => c.Version));
        Assert.Equal("last", changes[^1].Key);
    }

    [Fact]
    public async Task A_watcher_that_missed_more_than_the_change_table_keeps_is_told_it_fell_behind()
    {
        var table = NewTable();
        var application = $"feed-{Guid.NewGuid():N}";
        await using var watching = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new PostgresSharedStateBackend($"{server.ConnectionString};Application Name={application}", table),
        });
        await using var writing = await OpenSharedAsync(table);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var watcher = Task.Run(async () =>
        {
            await foreach (var unused in watching.WatchAsync(cancellationToken: stop.Token))
            {
                first.TrySetResult();
            }
        });
        await writing.SetAsync("k", 1);
        await first.Task.WaitAsync(TimeSpan.FromMinutes(1));

        // As if the change table had been trimmed far past the watcher while its session was down, then the session drops.
        var marker = PostgresTableName.Derived(table, "feed");
        await server.QueryStringsAsync($"UPDATE {marker} SET trimmed = 1000000");
        var dropped = await server.QueryStringsAsync($"SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE application_name = '{application}'");

        var error = await Assert.ThrowsAsync<StateBackendException>(() => watcher.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.NotEmpty(dropped);
        Assert.Contains("fell too far behind", error.Message, StringComparison.Ordinal);
        Assert.Contains("ChangeRetention", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_previous_values_a_watcher_in_another_store_sees_what_each_change_replaced_even_past_the_notify_limit()
    {
        var table = NewTable();
        await using var watching = await OpenSharedAsync(table);
        await using var writing = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions { ConnectionString = server.ConnectionString, Table = table, IncludePreviousValues = true }),
        });
        var big = new string('x', 9000);
        await using var watch = watching.WatchAsync().GetAsyncEnumerator();
        var next = watch.MoveNextAsync();
        await writing.SetAsync("k", "first");
        Assert.True(await next.AsTask().WaitAsync(TimeSpan.FromMinutes(1)));
        var changes = new List<StateChange> { watch.Current };
        await writing.SetAsync("k", big);
        await writing.SetRawAsync("k", System.Text.Encoding.UTF8.GetBytes("\"sëcond\"")); // raw: the ë stays two bytes, unescaped
        await writing.DeleteAsync("k");
        while (changes.Count < 4)
        {
            Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1)));
            changes.Add(watch.Current);
        }

        Assert.Equal([0L, changes[0].Version, changes[1].Version, changes[2].Version], changes.Select(change => change.PreviousVersion!.Value));
        Assert.Equal(["", "\"first\"", $"\"{big}\"", "\"sëcond\""], changes.Select(change => System.Text.Encoding.UTF8.GetString(change.PreviousValue.Span)));
        Assert.Equal($"\"{big}\"", System.Text.Encoding.UTF8.GetString(changes[1].Value.Span));
        Assert.Equal(StateChangeKind.Deleted, changes[3].Kind);
    }

    private static async Task<long> ClientConnectionsAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Writes_acknowledged_at_machine_durability_survive_a_crashed_and_restarted_server()
    {
        await using var own = await OwnPostgresServer.StartAsync();

        // The feed gives up reopening its session after a second here: the check is of a feed that cannot go on.
        await SharedServerCrashCheck.RunAsync(
            new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions
            {
                ConnectionString = own.ConnectionString,
                Table = NewTable(),
                ReconnectTimeout = TimeSpan.FromSeconds(1),
            }),
            own.CrashAsync,
            own.RestartAsync);
    }
}
