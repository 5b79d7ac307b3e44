using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// The server-fault check every shared backend's tests run on a server of their own: writes acknowledged at
/// <see cref="Durability.Machine"/>, then the server crashes; while it is down operations fail with
/// <see cref="StateBackendException"/>, and a watcher's feed ends with one (changes committed while it is down cannot
/// reach it, so it must not wait as if nothing happened); once it is back the same store reconnects and finds every
/// acknowledged write, and a new watch says the feed is broken instead of waiting for changes that never come.
/// </summary>
public static class SharedServerCrashCheck
{
    public static async Task RunAsync(ISharedStateBackend backend, Func<Task> crashServer, Func<Task> restartServer)
    {
        ArgumentNullException.ThrowIfNull(crashServer);
        ArgumentNullException.ThrowIfNull(restartServer);
        await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = backend, Durability = Durability.Machine });
        var run = store.For(StateScope.Workflow("crash"));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await run.SetAsync($"w{worker}-{i}", i);
                await run.UpdateAsync<int>("total", n => n + 1);
            }
        })));

        using var stopWatching = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var watching = Task.Run(async () =>
        {
            await foreach (var unused in run.WatchAsync(cancellationToken: stopWatching.Token))
            {
            }
        });

        await crashServer();
        await Assert.ThrowsAsync<StateBackendException>(async () => await run.SetAsync("while-down", 1));
        await Assert.ThrowsAsync<StateBackendException>(() => watching);
        await restartServer();

        Assert.Equal(200, await RetryWhileReconnectingAsync(() => run.GetAsync<int>("total").AsTask()));
        for (var worker = 0; worker < 8; worker++)
        {
            for (var i = 0; i < 25; i++)
            {
                Assert.Equal(i, await RetryWhileReconnectingAsync(() => run.GetAsync<int>($"w{worker}-{i}").AsTask()));
            }
        }

        Assert.Equal(201, await RetryWhileReconnectingAsync(() => run.UpdateAsync<int>("total", n => n + 1).AsTask()));
        Assert.False(await run.ExistsAsync("while-down"));
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var rewatch = await Assert.ThrowsAsync<StateBackendException>(async () =>
        {
            await foreach (var unused in run.WatchAsync(cancellationToken: giveUp.Token))
            {
            }
        });
        Assert.Contains("change feed", rewatch.Message, StringComparison.Ordinal);
    }

    /// <summary>Retries while the client notices the restarted server and reconnects (an operation on a connection the restart broke fails).</summary>
    public static async Task<T> RetryWhileReconnectingAsync<T>(Func<Task<T>> operation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation();
            }
            catch (StateBackendException) when (attempt < 100)
            {
                await Task.Delay(100);
            }
        }
    }
}
