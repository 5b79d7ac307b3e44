using System.Text.Json;
using FlowState.Conformance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit;

namespace FlowState.Redis.Tests;

// The resumable change feed: a bounded Redis Stream beside pub/sub, from which a watcher catches up on what it missed.
public sealed partial class RedisSharedStateBackendTests
{
    [Fact]
    public async Task A_watcher_catches_up_from_the_stream_on_changes_it_never_heard_and_delivers_each_once_in_order()
    {
        var prefix = $"feed-gap-{Guid.NewGuid():N}";
        await using var stores = await WatchFirstChangeAsync(prefix, 1);
        var first = stores.Watch.Current;

        // Two changes reach the stream but are never published (as when the watcher's subscription was down), then one
        // is published: its number skips two, so the watcher reads them from the stream first.
        var database = server.Connection.GetDatabase();
        foreach (var (key, value) in new[] { ("missed-1", "10"), ("missed-2", "20") })
        {
            var number = await database.StringIncrementAsync($"{{{prefix}|}}:feedseq");
            await database.StreamAddAsync($"{{{prefix}|}}:feed", "c", $"{first.Version + number}\ns\n\n{key}\n{value}", $"0-{number}");
        }

        await stores.Writing.SetAsync("k", 2);
        var delivered = new List<StateChange>();
        for (var i = 0; i < 3; i++)
        {
            delivered.Add(await stores.NextAsync());
        }

        Assert.Equal(["missed-1", "missed-2", "k"], delivered.Select(change => change.Key));
        Assert.Equal([10, 20, 2], delivered.Select(change => JsonSerializer.Deserialize<int>(change.Value.Span)));
    }

    [Fact]
    public async Task A_watcher_keeps_watching_through_dropped_subscriptions_and_a_restarted_server_and_misses_nothing()
    {
        await OnOwnServerAsync(async (directory, port) =>
        {
            var configuration = OwnServer(port);
            await using var watching = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
            {
                Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = configuration, KeyPrefix = "restarted" }),
            });
            await using var writing = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
            {
                Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = configuration, KeyPrefix = "restarted" }),
            });
            var seen = new List<StateChange>();
            var last = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var watcher = Task.Run(async () =>
            {
                await foreach (var change in watching.WatchAsync(cancellationToken: stop.Token))
                {
                    lock (seen)
                    {
                        seen.Add(change);
                    }

                    if (change.Key == "last")
                    {
                        last.TrySetResult();
                    }
                }
            });

            await using (var admin = await ConnectionMultiplexer.ConnectAsync(configuration))
            {
                for (var round = 0; round < 3; round++)
                {
                    // The subscription is dropped and a batch committed right behind it on the same connection.
                    var dropped = admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
                    var batch = writing.CreateBatch();
                    for (var i = 0; i < 50; i++)
                    {
                        batch.Set($"r{round}-{i}", i);
                    }

                    await writing.ApplyAsync(batch);
                    await dropped;
                }
            }

            for (var i = 1; i <= 3; i++)
            {
                await writing.SetAsync("counter", i);
            }

            // A crashed server, restarted with its append-only file (an fsync per write): the numbering and the stream survive.
            await KillAsync(directory);
            await TestServerScripts.StartAsync("start-redis.sh", directory);
            for (var i = 4; i <= 6; i++)
            {
                var value = i;
                await SharedServerCrashCheck.RetryWhileReconnectingAsync(() => writing.SetAsync("counter", value).AsTask());
            }

            await writing.SetAsync("last", true);
            // A watcher whose feed ended says why, and one still waiting says what it saw, instead of a bare timeout.
            if (await Task.WhenAny(last.Task, watcher, Task.Delay(TimeSpan.FromMinutes(2))) != last.Task)
            {
                if (watcher.IsCompleted)
                {
                    await watcher;
                    Assert.Fail("The watch ended without an error before the last change.");
                }

                lock (seen)
                {
                    Assert.Fail($"The watcher did not see the last change within 2 minutes; it saw {seen.Count} changes, the last of them {seen.LastOrDefault()?.Key ?? "none"} at version {seen.LastOrDefault()?.Version}.");
                }
            }

            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);

            List<StateChange> changes;
            lock (seen)
            {
                changes = [.. seen];
            }

            for (var round = 0; round < 3; round++)
            {
                Assert.Equal(Enumerable.Range(0, 50).Select(i => $"r{round}-{i}").Order(StringComparer.Ordinal), changes.Where(c => c.Key.StartsWith($"r{round}-", StringComparison.Ordinal)).Select(c => c.Key).Order(StringComparer.Ordinal));
            }

            // A write retried while the writer reconnected may have been applied twice (the same value, once more).
            Assert.Equal(Enumerable.Range(1, 6), changes.Where(c => c.Key == "counter").Select(c => JsonSerializer.Deserialize<int>(c.Value.Span)).Distinct());
            Assert.Equal(changes.Select(c => c.Version).Order(), changes.Select(c => c.Version));
            Assert.Equal(changes.Count, changes.DistinctBy(c => (c.Key, c.Version)).Count());
        }, persistence: "aof");
    }

    [Fact]
    public async Task A_change_committed_after_a_reconnect_but_before_the_subscription_is_back_still_reaches_the_watcher()
    {
        var prefix = $"feed-resubscribe-{Guid.NewGuid():N}";
        await using var proxy = SubscriptionHoldingProxy.Start(server.Port, $"{prefix}:changes");
        await using var stores = await WatchFirstChangeAsync(new RedisSharedStateBackendOptions { Configuration = proxy.Endpoint, KeyPrefix = prefix }, 1);

        // The subscription is dropped and its renewal held back; the watcher reconnects and reads the stream (nothing
        // missed yet), and only then is a change committed: pub/sub delivers it to nobody, and no later change follows.
        proxy.HoldSubscriptions();
        var caughtUp = proxy.AnsweredAsync("XRANGE");
        await server.Connection.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        await caughtUp.WaitAsync(TimeSpan.FromMinutes(1));
        await stores.Writing.SetAsync("after", 2);
        proxy.Release();

        var change = await stores.NextAsync();
        Assert.Equal("after", change.Key);
    }

    [Fact]
    public async Task A_watcher_whose_subscription_does_not_come_back_after_a_reconnect_is_told_so()
    {
        var prefix = $"feed-unsubscribed-{Guid.NewGuid():N}";
        await using var proxy = SubscriptionHoldingProxy.Start(server.Port, $"{prefix}:changes");
        await using var stores = await WatchFirstChangeAsync(
            new RedisSharedStateBackendOptions { Configuration = proxy.Endpoint, KeyPrefix = prefix, ReconnectTimeout = TimeSpan.FromSeconds(2) }, 1);

        // The connection comes back, but the server never gets the renewed subscription: the watcher's probes go unheard.
        proxy.HoldSubscriptions();
        await server.Connection.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");

        var error = await Assert.ThrowsAsync<StateBackendException>(stores.NextAsync);
        Assert.Contains("change subscription did not come back within 2 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_watcher_that_missed_more_than_the_stream_keeps_is_told_it_fell_behind()
    {
        var prefix = $"feed-behind-{Guid.NewGuid():N}";
        await using var stores = await WatchFirstChangeAsync(prefix, 1);

        // As if the stream had been trimmed far past the watcher while it heard nothing: the changes after the one it
        // saw are gone from the stream when the next one is published.
        var database = server.Connection.GetDatabase();
        await database.StringIncrementAsync($"{{{prefix}|}}:feedseq", 5);
        await stores.Writing.SetAsync("k", 2);
        await database.StreamTrimAsync($"{{{prefix}|}}:feed", 0);

        var error = await Assert.ThrowsAsync<StateBackendException>(stores.NextAsync);
        Assert.Contains("fell too far behind", error.Message, StringComparison.Ordinal);
        Assert.Contains("ChangeRetention", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_watcher_whose_server_does_not_come_back_in_time_is_told_so()
    {
        await OnOwnServerAsync(async (directory, port) =>
        {
            await using var stores = await WatchFirstChangeAsync(
                new RedisSharedStateBackendOptions { Configuration = OwnServer(port), KeyPrefix = "gone", ReconnectTimeout = TimeSpan.FromSeconds(2) }, 1);

            await KillAsync(directory);

            var error = await Assert.ThrowsAsync<StateBackendException>(stores.NextAsync);
            Assert.Contains("did not come back within 2 s", error.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_watcher_whose_server_came_back_without_its_data_is_told_so()
    {
        await OnOwnServerAsync(async (directory, port) =>
        {
            await using var stores = await WatchFirstChangeAsync(new RedisSharedStateBackendOptions { Configuration = OwnServer(port), KeyPrefix = "forgotten" }, 1);

            // Without persistence the restarted server starts empty: its next change is numbered 1 again.
            await KillAsync(directory);
            await TestServerScripts.StartAsync("start-redis.sh", directory);
            await SharedServerCrashCheck.RetryWhileReconnectingAsync(() => stores.Writing.SetAsync("k", 2).AsTask());

            var error = await Assert.ThrowsAsync<StateBackendException>(stores.NextAsync);
            Assert.Contains("lost the data its change feed followed", error.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task The_change_stream_follows_configuration_and_without_it_a_write_leaves_no_stream()
    {
        var kept = $"feed-on-{Guid.NewGuid():N}";
        var off = $"feed-off-{Guid.NewGuid():N}";
        foreach (var (prefix, retention) in new[] { (kept, "100"), (off, "0") })
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["R:Configuration"] = server.Configuration,
                ["R:KeyPrefix"] = prefix,
                ["R:ChangeRetention"] = retention,
                ["R:ReconnectTimeout"] = "00:00:10",
            }).Build();
            await using var services = new ServiceCollection().AddFlowState(f => f.UseRedis(configuration.GetSection("R"))).BuildServiceProvider();
            await services.GetRequiredService<IStateStore>().SetAsync("k", 1);
        }

        var database = server.Connection.GetDatabase();
        Assert.Equal(1, await database.StreamLengthAsync($"{{{kept}|}}:feed"));
        Assert.False(await database.KeyExistsAsync($"{{{off}|}}:feed"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, ChangeRetention = -1 }));
    }

    [Fact]
    public async Task With_previous_values_a_watcher_in_another_store_sees_what_each_change_replaced_live_and_caught_up()
    {
        await using var stores = await WatchFirstChangeAsync($"feed-previous-{Guid.NewGuid():N}", "first", includePreviousValues: true);
        var changes = new List<StateChange> { stores.Watch.Current };

        // The subscription dropped right before the second write: it arrives live or is caught up from the stream, with
        // what it replaced either way.
        await using (var admin = await ConnectionMultiplexer.ConnectAsync(server.Configuration))
        {
            var dropped = admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
            await stores.Writing.SetRawAsync("k", System.Text.Encoding.UTF8.GetBytes("\"sëcond\"")); // raw: the ë stays two bytes, unescaped
            await dropped;
        }

        await stores.Writing.DeleteAsync("k");
        changes.Add(await stores.NextAsync());
        changes.Add(await stores.NextAsync());

        Assert.Equal([0L, changes[0].Version, changes[1].Version], changes.Select(change => change.PreviousVersion!.Value));
        Assert.Equal(["", "\"first\"", "\"sëcond\""], changes.Select(change => System.Text.Encoding.UTF8.GetString(change.PreviousValue.Span)));
        Assert.Equal([StateChangeKind.Set, StateChangeKind.Set, StateChangeKind.Deleted], changes.Select(change => change.Kind));
    }

    /// <summary>A watching and a writing store on <paramref name="prefix"/> of the shared server, the watcher past the writer's first change.</summary>
    private Task<WatchedStores> WatchFirstChangeAsync<T>(string prefix, T first, bool includePreviousValues = false) =>
        WatchFirstChangeAsync(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = prefix }, first, includePreviousValues);

    /// <summary>
    /// A watching store with <paramref name="options"/> and a writing store like it (carrying previous values when asked),
    /// the watcher past the writer's first change (<c>k</c> = <paramref name="first"/>).
    /// </summary>
    private static async Task<WatchedStores> WatchFirstChangeAsync<T>(RedisSharedStateBackendOptions options, T first, bool includePreviousValues = false)
    {
        var watching = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = new RedisSharedStateBackend(options) });
        var writing = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions
            {
                Configuration = options.Configuration,
                KeyPrefix = options.KeyPrefix,
                IncludePreviousValues = includePreviousValues,
            }),
        });
        var stores = new WatchedStores(watching, writing, watching.WatchAsync().GetAsyncEnumerator());
        var next = stores.NextAsync();
        await writing.SetAsync("k", first);
        await next;
        return stores;
    }

    private sealed class WatchedStores(SharedStateStore watching, SharedStateStore writing, IAsyncEnumerator<StateChange> watch) : IAsyncDisposable
    {
        public SharedStateStore Writing => writing;

        public IAsyncEnumerator<StateChange> Watch => watch;

        /// <summary>The next change, within a generous minute.</summary>
        public async Task<StateChange> NextAsync()
        {
            Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1)));
            return watch.Current;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await watch.DisposeAsync();
            }
            catch (NotSupportedException)
            {
                // A read still pending after a wait that timed out: the failure is that wait's, not the disposal's
                // (closing the watching store ends the read).
            }

            await writing.DisposeAsync();
            await watching.DisposeAsync();
        }
    }
}
