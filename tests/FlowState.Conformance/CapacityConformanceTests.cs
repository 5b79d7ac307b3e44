using System.Collections.Concurrent;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// Store capacity (<see cref="StateStoreOptions.MaxEntries"/>, <see cref="StateStoreOptions.MaxBytes"/>): exact LRU
/// eviction. Run on the in-memory store: with a backend, a bound pages values out instead (the paged store suites).
/// </summary>
public abstract class CapacityConformanceTests : ConformanceTestBase
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
    public async Task A_read_right_after_a_write_still_makes_the_entry_the_most_recent()
    {
        var store = NewStore(o => o.MaxEntries = 3);
        await store.SetAsync("a", 1);
        await store.SetAsync("b", 1);
        await store.SetAsync("c", 1);
        await store.GetAsync<int>("b");
        await store.GetAsync<int>("c");

        await store.SetAsync("d", 1);
        await store.SetAsync("e", 1);

        Assert.Equal(["c", "d", "e"], await ToListAsync(store.ListKeysAsync()));
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

    [Fact]
    public async Task Watch_reports_expiry_eviction_and_clear()
    {
        var store = NewStore(o => o.MaxEntries = 2);
        var changes = store.WatchAsync();

        await store.SetAsync("ttl", 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(1)));
        Clock.Advance(TimeSpan.FromSeconds(2));
        await store.SetAsync("a", 1);
        await store.SetAsync("b", 1);
        await store.SetAsync("c", 1);
        await store.ClearAsync();

        var kinds = (await TakeAsync(changes, 8)).Select(c => (c.Key, c.Kind)).ToList();
        Assert.Equal(
            [
                ("ttl", StateChangeKind.Set), ("ttl", StateChangeKind.Expired),
                ("a", StateChangeKind.Set), ("b", StateChangeKind.Set), ("c", StateChangeKind.Set), ("a", StateChangeKind.Evicted),
            ],
            kinds.Take(6));
        Assert.Equal([("b", StateChangeKind.Deleted), ("c", StateChangeKind.Deleted)], kinds.Skip(6).Order());
    }
}
