using System.Collections.Concurrent;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class StateStoreConformanceTests
{
    [Fact]
    public async Task Over_max_entries_the_least_recently_used_entry_is_evicted()
    {
        var evicted = new ConcurrentQueue<StateEviction>();
        var store = NewStore(o =>
        {
            o.MaxEntries = 3;
            o.OnEvicted = e => { if (e.Reason == EvictionReason.Capacity) { evicted.Enqueue(e); } };
        });
        await store.SetAsync("a", 1);
        await store.SetAsync("b", 2);
        await store.SetAsync("c", 3);
        await store.GetAsync<int>("a");

        await store.SetAsync("d", 4);

        Assert.Equal(["a", "c", "d"], await ToListAsync(store.ListKeysAsync()));
        Assert.Equal("b", Assert.Single(evicted).Key);
        Assert.Equal(1, store.GetStatistics().Evictions);
    }

    [Fact]
    public async Task Reads_in_sequence_order_the_lru_exactly()
    {
        var store = NewStore(o => o.MaxEntries = 3);
        await store.SetAsync("a", 1);
        await store.SetAsync("b", 1);
        await store.SetAsync("c", 1);
        await store.GetAsync<int>("c");
        await store.GetAsync<int>("b");
        await store.GetAsync<int>("a");

        await store.SetAsync("d", 1);
        await store.SetAsync("e", 1);

        Assert.Equal(["a", "d", "e"], await ToListAsync(store.ListKeysAsync()));
    }

    [Fact]
    public async Task Over_max_bytes_entries_are_evicted_until_the_store_fits()
    {
        var store = NewStore(o => o.MaxBytes = 100);
        for (var i = 0; i < 10; i++)
        {
            await store.SetAsync($"k{i}", new string('x', 20));
        }

        var stats = store.GetStatistics();
        Assert.True(stats.Bytes <= 100, $"bytes {stats.Bytes}");
        Assert.True(await store.ExistsAsync("k9"));
        Assert.False(await store.ExistsAsync("k0"));
        Assert.Equal(10 - stats.Entries, stats.Evictions);
    }

    [Fact]
    public async Task Write_larger_than_the_whole_store_is_refused_and_evicts_nothing()
    {
        var store = NewStore(o => { o.MaxEntries = 2; o.MaxBytes = 1000; });
        await store.SetAsync("keep", 1);

        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.SetAsync("huge", new string('x', 2000)));
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.ApplyAsync(store.CreateBatch().Set("a", 1).Set("b", 1).Set("c", 1)));

        Assert.Equal(["keep"], await ToListAsync(store.ListKeysAsync()));
    }

    [Fact]
    public async Task Eviction_never_removes_what_the_same_batch_wrote()
    {
        var store = NewStore(o => o.MaxEntries = 2);
        await store.SetAsync("old", 1);

        await store.ApplyAsync(store.CreateBatch().Set("a", 1).Set("b", 1));

        Assert.Equal(["a", "b"], await ToListAsync(store.ListKeysAsync()));
    }

    [Fact]
    public async Task Replace_and_delete_fire_callbacks_with_their_reason()
    {
        var evicted = new ConcurrentQueue<StateEviction>();
        var store = NewStore(o => o.OnEvicted = evicted.Enqueue);
        var scope = store.For(StateScope.Step("r", "s"));
        await scope.SetAsync("k", 1);
        await scope.SetAsync("k", 2);
        await scope.DeleteAsync("k");
        await scope.SetAsync("x", 1);
        await store.For(StateScope.Workflow("r")).ClearAsync();

        Assert.Collection(
            evicted,
            e => Assert.Equal((EvictionReason.Replaced, "k", "1"), (e.Reason, e.Key, System.Text.Encoding.UTF8.GetString(e.Value.Span))),
            e => Assert.Equal((EvictionReason.Deleted, "k", "2"), (e.Reason, e.Key, System.Text.Encoding.UTF8.GetString(e.Value.Span))),
            e => Assert.Equal((EvictionReason.Deleted, "x", "workflow:r:step:s:"), (e.Reason, e.Key, e.ScopePath)));
    }

    [Fact]
    public async Task Throwing_eviction_callback_never_breaks_the_store()
    {
        var calls = 0;
        var store = NewStore(o =>
        {
            o.MaxEntries = 1;
            o.OnEvicted = _ => { Interlocked.Increment(ref calls); throw new InvalidOperationException("callback bug"); };
        });

        await store.SetAsync("a", 1);
        await store.SetAsync("a", 2);
        await store.SetAsync("b", 3);
        await store.DeleteAsync("b");

        Assert.Equal(3, calls);
        Assert.Equal(0, await store.CountAsync());
        await store.SetAsync("c", 4);
        Assert.Equal(4, await store.GetAsync<int>("c"));
    }

    [Fact]
    public async Task Callback_runs_outside_the_lock_so_it_may_use_the_store()
    {
        var store = (StateStore?)null;
        var seen = new ConcurrentQueue<int>();
        store = NewStore(o => o.OnEvicted = e =>
        {
            // Would deadlock (or throw) if the callback ran under the write lock on another thread.
            var task = Task.Run(async () => await store!.SetAsync("log:" + e.Key, e.Version));
            seen.Enqueue(task.Wait(TimeSpan.FromSeconds(10)) ? 1 : 0);
        });

        await store.SetAsync("k", 1);
        await store.DeleteAsync("k");

        Assert.Equal([1], seen);
        Assert.True(await store.ExistsAsync("log:k"));
    }

    [Fact]
    public async Task Lru_and_expiry_stay_exact_after_many_overwrites_compact_their_queues()
    {
        var evicted = new ConcurrentQueue<StateEviction>();
        var store = NewStore(o =>
        {
            o.MaxEntries = 3;
            o.OnEvicted = e => { if (e.Reason is EvictionReason.Capacity or EvictionReason.Expired) { evicted.Enqueue(e); } };
        });
        await store.SetAsync("old", 0, StateWriteOptions.WithTimeToLive(TimeSpan.FromMinutes(10)));
        await store.SetAsync("ttl", 0, StateWriteOptions.WithTimeToLive(TimeSpan.FromMinutes(1)));
        for (var i = 0; i < 5000; i++)
        {
            await store.SetAsync("hot", i, StateWriteOptions.WithTimeToLive(TimeSpan.FromMinutes(10)));
        }

        await store.GetAsync<int>("old");
        await store.SetAsync("new", 1);
        Assert.Equal(("ttl", EvictionReason.Capacity), (Assert.Single(evicted).Key, evicted.Single().Reason));

        await store.SetAsync("ttl", 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromMinutes(1)));
        Clock.Advance(TimeSpan.FromMinutes(1));
        Clock.Advance(TimeSpan.FromSeconds(1));

        // "old" was read after "hot" was last written, so "hot" is now the least recently used.
        Assert.Equal(
            [("ttl", EvictionReason.Capacity), ("hot", EvictionReason.Capacity), ("ttl", EvictionReason.Expired)],
            evicted.Select(e => (e.Key, e.Reason)));
        Assert.Equal(["new", "old"], await ToListAsync(store.ListKeysAsync()));
    }
}
