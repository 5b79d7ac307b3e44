using Xunit;

namespace FlowState.Testing;

// A write the backend refuses (a full disk, a lost connection) must not live on in memory: readers would be served a
// value that was never stored and is gone after a reopen.
public abstract partial class DurableStateStoreConformanceTests
{
    private static readonly StateScope Audited = StateScope.Workflow("audited");

    [Fact]
    public virtual async Task A_failed_backend_write_leaves_memory_as_the_backend_holds_it()
    {
        var options = new StateStoreOptions { Backend = new FailingBackend(CreateBackend("failed-write")), TimeProvider = Clock };
        options.History[Audited] = 2;
        var backend = (FailingBackend)options.Backend;
        var store = await StateStore.OpenAsync(options);
        Dictionary<string, (string Json, long Version)> before;
        string[] historyBefore;
        try
        {
            await store.SetAsync("a", 1);
            await store.For(StateScope.Workflow("lonely")).SetAsync("only", 1);
            await store.For(StateScope.Custom("cleared")).ApplyAsync(store.For(StateScope.Custom("cleared")).CreateBatch().Set("k1", 1).Set("k2", 2));
            await store.For(Audited).SetAsync("x", "x1");
            await store.For(Audited).SetAsync("x", "x2");
            before = await StoreSnapshot.TakeAsync(store);
            historyBefore = await HistoryAsync(store);
            var countBefore = await store.CountAsync();
            var watched = store.WatchAsync().GetAsyncEnumerator();

            Assert.False(store.IsFaulted);
            backend.Arm();
            Task[] writes =
            [
                store.SetAsync("a", 2).AsTask(),
                store.For(StateScope.Workflow("lonely")).DeleteAsync("only").AsTask(),
                store.ApplyAsync(store.CreateBatch().Set("b", 1).Set("c", 1)).AsTask(),
                store.For(StateScope.Custom("cleared")).ClearAsync().AsTask(),
                store.For(Audited).SetAsync("x", "x3").AsTask(),
            ];

            // The writes are applied in memory, waiting for the backend: what a reader sees until the backend answers.
            Assert.Equal(2, await store.GetAsync<int>("a"));
            Assert.False(await store.For(StateScope.Workflow("lonely")).ExistsAsync("only"));

            backend.Fail();
            foreach (var write in writes)
            {
                await Assert.ThrowsAsync<StateBackendException>(() => write);
            }

            Assert.True(store.IsFaulted);
            Assert.Contains("No space left on device", store.FaultCause!.Message, StringComparison.Ordinal);
            Assert.Equal(before, await StoreSnapshot.TakeAsync(store));
            Assert.Equal(historyBefore, await HistoryAsync(store));
            Assert.Equal(countBefore, await store.CountAsync());
            Assert.Equal(1, await store.For(StateScope.Workflow("lonely")).GetAsync<int>("only"));
            var refused = await Assert.ThrowsAsync<StateBackendException>(async () => await store.SetAsync("after", 1));
            Assert.Contains("Reopen the store", refused.Message, StringComparison.Ordinal);

            // A watcher saw changes that are undone now: it ends with the failure rather than going on as if they held.
            var ended = await Assert.ThrowsAsync<StateBackendException>(async () =>
            {
                while (await watched.MoveNextAsync())
                {
                }
            });
            Assert.Contains("undone", ended.Message, StringComparison.Ordinal);
        }
        finally
        {
            await store.DisposeAsync();
        }

        var reopenedOptions = new StateStoreOptions { Backend = CreateBackend("failed-write"), TimeProvider = Clock };
        reopenedOptions.History[Audited] = 2;
        await using var reopened = await StateStore.OpenAsync(reopenedOptions);
        Assert.Equal(before, await StoreSnapshot.TakeAsync(reopened));
        Assert.Equal(historyBefore, await HistoryAsync(reopened));
        await reopened.SetAsync("after", 1);
    }

    [Fact]
    public virtual async Task A_failed_backend_write_over_paged_out_values_reads_them_back_from_the_backend()
    {
        var backend = new FailingBackend(CreateBackend("failed-paged"));
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, MaxEntries = 2, TimeProvider = Clock });
        for (var i = 0; i < 10; i++)
        {
            await store.SetAsync("k" + i, i);
        }

        var before = await StoreSnapshot.TakeAsync(store);
        backend.Arm();
        var writes = Enumerable.Range(0, 10).Select(i => store.SetAsync("k" + i, 100 + i).AsTask()).ToArray();
        backend.Fail();
        foreach (var write in writes)
        {
            await Assert.ThrowsAsync<StateBackendException>(() => write);
        }

        Assert.Equal(before, await StoreSnapshot.TakeAsync(store));
        Assert.True(store.PagingStatistics.ResidentEntries <= 2, $"{store.PagingStatistics.ResidentEntries} values stayed in memory over a bound of 2");
    }

    private static async Task<string[]> HistoryAsync(StateStore store) =>
        [.. (await store.For(Audited).GetHistoryAsync("x")).Select(h => $"{h.Version}:{h.As<string>()}")];
}
