using System.Collections.Concurrent;
using Xunit;

namespace FlowState.Testing;

/// <summary>
/// A capacity-bounded store with a backend keeps at most MaxEntries/MaxBytes values in memory; the rest stay in the
/// backend and are read back on demand. Nothing is lost to the bound.
/// </summary>
public abstract partial class DurableStateStoreConformanceTests
{
    private Task<StateStore> OpenBoundedAsync(string storage, long? maxEntries = null, long? maxBytes = null, Action<StateEviction>? onEvicted = null) =>
        StateStore.OpenAsync(new StateStoreOptions
        {
            Backend = CreateBackend(storage),
            TimeProvider = Clock,
            MaxEntries = maxEntries,
            MaxBytes = maxBytes,
            OnEvicted = onEvicted,
        });

    [Fact]
    public virtual async Task A_bounded_store_pages_values_out_and_reads_every_one_back()
    {
        var capacityEvictions = 0;
        await using var store = await OpenBoundedAsync("paged", maxEntries: 3, onEvicted: e => { if (e.Reason == EvictionReason.Capacity) { capacityEvictions++; } });
        for (var i = 0; i < 20; i++)
        {
            await store.SetAsync($"k{i:D2}", new { n = i });
        }

        var afterWrites = store.PagingStatistics;
        Assert.Equal(3, afterWrites.ResidentEntries);
        Assert.Equal(17, afterWrites.PageOuts);
        Assert.Equal(20, await store.CountAsync());
        Assert.Equal(20, (await ToListAsync(store.ListKeysAsync())).Count);

        for (var i = 0; i < 20; i++)
        {
            var entry = await store.GetEntryAsync($"k{i:D2}");
            Assert.Equal($$"""{"n":{{i}}}""", Json(entry));
            Assert.Equal(i + 1, entry!.Version);
        }

        var afterReads = store.PagingStatistics;
        Assert.True(afterReads.PageIns >= 17, $"{afterReads.PageIns} values were read back");
        Assert.True(afterReads.ResidentEntries <= 3, $"{afterReads.ResidentEntries} values in memory over a bound of 3");
        Assert.Equal(0, capacityEvictions);
        Assert.Equal(0, store.GetStatistics().Evictions);
        Assert.Equal(20, store.GetStatistics().Entries);
    }

    [Fact]
    public virtual async Task Merge_update_version_checks_and_delete_work_on_paged_out_values()
    {
        var replaced = new ConcurrentQueue<StateEviction>();
        await using var store = await OpenBoundedAsync("paged-writes", maxEntries: 2, onEvicted: e => { if (e.Reason is EvictionReason.Replaced or EvictionReason.Deleted) { replaced.Enqueue(e); } });
        var doc = await store.SetAsync("doc", new { a = 1, b = new { c = 2 } });
        var counter = await store.SetAsync("counter", 10);
        await store.SetAsync("gone", "bye");
        for (var i = 0; i < 5; i++)
        {
            await store.SetAsync($"filler{i}", i);
        }

        await store.MergeAsync("doc", new { b = new { d = 3 } });
        Assert.Equal(15, await store.UpdateAsync<int>("counter", n => n + 5));
        await Assert.ThrowsAsync<StateConflictException>(() => store.SetAsync("counter", 0, new StateWriteOptions { ExpectedVersion = counter }).AsTask());
        Assert.True(await store.DeleteAsync("gone"));
        for (var i = 0; i < 5; i++)
        {
            await store.SetAsync($"filler{i}", i + 100);
        }

        Assert.Equal("""{"a":1,"b":{"c":2,"d":3}}""", Json(await store.GetEntryAsync("doc")));
        Assert.Equal(15, await store.GetAsync<int>("counter"));
        Assert.False(await store.ExistsAsync("gone"));
        Assert.NotEqual(doc, (await store.GetEntryAsync("doc"))!.Version);
        // The callbacks of replaced and deleted values carry the old value, read back from the backend.
        Assert.Contains(replaced, e => e.Key == "doc" && e.Reason == EvictionReason.Replaced && System.Text.Encoding.UTF8.GetString(e.Value.Span) == """{"a":1,"b":{"c":2}}""");
        Assert.Contains(replaced, e => e.Key == "gone" && e.Reason == EvictionReason.Deleted && System.Text.Encoding.UTF8.GetString(e.Value.Span) == "\"bye\"");
        Assert.Contains(replaced, e => e.Key == "filler0" && e.Reason == EvictionReason.Replaced && System.Text.Encoding.UTF8.GetString(e.Value.Span) == "0");
    }

    [Fact]
    public virtual async Task Paged_out_entries_expire_on_time_with_their_value_in_the_callback()
    {
        var expired = new ConcurrentQueue<StateEviction>();
        await using var store = await OpenBoundedAsync("paged-ttl", maxEntries: 1, onEvicted: e => { if (e.Reason == EvictionReason.Expired) { expired.Enqueue(e); } });
        await store.SetAsync("short", "s", new StateWriteOptions { TimeToLive = TimeSpan.FromSeconds(5) });
        await store.SetAsync("long", "l", new StateWriteOptions { TimeToLive = TimeSpan.FromMinutes(5) });
        await store.SetAsync("newest", "n");
        Assert.Equal(2, store.PagingStatistics.PageOuts);

        Clock.Advance(TimeSpan.FromSeconds(6));

        Assert.Null(await store.GetEntryAsync("short"));
        Assert.Equal("l", await store.GetAsync<string>("long"));
        store.PurgeExpired();
        var eviction = Assert.Single(expired);
        Assert.Equal("short", eviction.Key);
        Assert.Equal("\"s\"", System.Text.Encoding.UTF8.GetString(eviction.Value.Span));
        Assert.Equal(["long", "newest"], await ToListAsync(store.ListKeysAsync()));
    }

    [Fact]
    public virtual async Task Max_bytes_bounds_the_values_in_memory_and_a_reopened_bounded_store_sees_everything()
    {
        var big = new string('x', 1000);
        await using (var store = await OpenBoundedAsync("paged-bytes", maxBytes: 4000))
        {
            for (var i = 0; i < 30; i++)
            {
                await store.SetAsync($"big{i}", big + i);
            }

            Assert.True(store.PagingStatistics.ResidentBytes <= 4000 + 1100, $"{store.PagingStatistics.ResidentBytes} bytes in memory");
            Assert.True(store.GetStatistics().Bytes > 30_000);
        }

        await using var reopened = await OpenBoundedAsync("paged-bytes", maxEntries: 5);
        Assert.Equal(5, reopened.PagingStatistics.ResidentEntries);
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(big + i, await reopened.GetAsync<string>($"big{i}"));
        }

        var export = new MemoryStream();
        await reopened.ExportAsync(export);
        Assert.Contains("big29", System.Text.Encoding.UTF8.GetString(export.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public virtual async Task Values_written_behind_are_paged_out_once_they_reach_the_backend()
    {
        await using var store = await StateStore.OpenAsync(new StateStoreOptions
        {
            Backend = CreateBackend("paged-behind"),
            TimeProvider = Clock,
            Durability = Durability.None,
            MaxEntries = 10,
        });
        for (var i = 0; i < 200; i++)
        {
            await store.SetAsync($"w{i}", i);
        }

        // Nothing is awaited at Durability.None: each later write pages out what has reached the backend by then.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await store.SetAsync("last", -1);
            await Task.Delay(10);
        }
        while (store.PagingStatistics.ResidentEntries > 11 && DateTime.UtcNow < deadline);

        Assert.True(store.PagingStatistics.ResidentEntries <= 11, $"{store.PagingStatistics.ResidentEntries} values in memory over a bound of 10");
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(i, await store.GetAsync<int>($"w{i}"));
        }

        Assert.Equal(201, await store.CountAsync());
    }

    [Fact]
    public virtual async Task A_bounded_store_opens_a_larger_state_in_chunks_and_keeps_every_entry()
    {
        const int Entries = 10_000;
        await using (var store = await OpenAsync("paged-open"))
        {
            for (var i = 0; i < Entries; i += 1000)
            {
                var batch = store.CreateBatch();
                for (var j = i; j < i + 1000; j++)
                {
                    batch.Set($"e{j}", j, j % 3 == 0 ? new StateWriteOptions { TimeToLive = TimeSpan.FromHours(1) } : null);
                }

                await store.ApplyAsync(batch);
            }
        }

        await using var reopened = await OpenBoundedAsync("paged-open", maxEntries: 100);
        Assert.Equal(100, reopened.PagingStatistics.ResidentEntries);
        Assert.Equal(Entries, await reopened.CountAsync());
        for (var i = 0; i < Entries; i += 7)
        {
            Assert.Equal(i, await reopened.GetAsync<int>($"e{i}"));
        }

        Clock.Advance(TimeSpan.FromHours(2));
        reopened.PurgeExpired();
        Assert.Equal(Entries - ((Entries + 2) / 3), await reopened.CountAsync());
        Assert.False(await reopened.ExistsAsync("e3"));
        Assert.Equal(4, await reopened.GetAsync<int>("e4"));
    }

    [Fact]
    public virtual async Task Concurrent_increments_and_reads_through_a_tiny_bound_lose_nothing()
    {
        const int Keys = 40, Threads = 4, Increments = 300;
        await using var store = await OpenBoundedAsync("paged-concurrent", maxEntries: 4);
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            var random = new Random(t);
            for (var i = 0; i < Increments; i++)
            {
                var key = $"c{random.Next(Keys)}";
                await store.UpdateAsync<int>(key, n => n + 1);
                var read = await store.GetAsync<int>($"c{random.Next(Keys)}");
                Assert.True(read >= 0);
            }
        })));

        long total = 0;
        for (var i = 0; i < Keys; i++)
        {
            total += await store.GetAsync<int>($"c{i}");
        }

        Assert.Equal(Threads * Increments, total);
        Assert.True(store.PagingStatistics.PageIns > 0);
    }
}
