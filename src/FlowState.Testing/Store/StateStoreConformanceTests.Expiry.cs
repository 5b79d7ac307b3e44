using System.Collections.Concurrent;
using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    [Fact]
    public virtual async Task Expired_entry_is_never_returned_even_before_it_is_purged()
    {
        // A scan interval far beyond the test keeps the purge from running, so only read-time checks are tested.
        var store = NewStore(o => o.ExpirationScanInterval = TimeSpan.FromDays(1));
        var scope = store.Scope("s");
        await scope.SetAsync("k", 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(10)));
        await scope.SetAsync("forever", 2);

        Clock.Advance(TimeSpan.FromSeconds(9.999));
        Assert.Equal(1, await scope.GetAsync<int>("k"));

        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, await scope.GetAsync<int>("k"));
        Assert.Null(await scope.GetEntryAsync("k"));
        Assert.False(await scope.ExistsAsync("k"));
        Assert.Equal(["forever"], await ToListAsync(scope.ListKeysAsync()));
        Assert.Single(await ToListAsync(store.ListAllAsync()));
        Assert.Equal(1, await scope.CountAsync());
        Assert.Equal(1, store.GetStatistics(scope.CurrentScope).Entries);
    }

    [Fact]
    public virtual async Task Expired_entries_are_purged_actively_and_callbacks_fire_within_a_second()
    {
        var evicted = new ConcurrentQueue<StateEviction>();
        var store = NewStore(o => o.OnEvicted = evicted.Enqueue);
        await store.For(StateScope.Workflow("r")).SetAsync("k", "v", StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(30)));

        Clock.Advance(TimeSpan.FromSeconds(30));
        Clock.Advance(TimeSpan.FromSeconds(1));

        var eviction = Assert.Single(evicted);
        Assert.Equal(EvictionReason.Expired, eviction.Reason);
        Assert.Equal("k", eviction.Key);
        Assert.Equal("workflow:r:", eviction.ScopePath);
        Assert.Equal("\"v\"", System.Text.Encoding.UTF8.GetString(eviction.Value.Span));
        Assert.Equal(1, store.GetStatistics().Expirations);
    }

    [Fact]
    public virtual async Task Setting_again_refreshes_the_time_to_live()
    {
        var store = NewStore();
        var ttl = StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(10));
        await store.SetAsync("k", 1, ttl);

        Clock.Advance(TimeSpan.FromSeconds(8));
        await store.SetAsync("k", 2, ttl);
        Clock.Advance(TimeSpan.FromSeconds(8));

        Assert.Equal(2, await store.GetAsync<int>("k"));
        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(await store.ExistsAsync("k"));
    }

    [Fact]
    public virtual async Task Merge_and_update_keep_and_renew_the_time_to_live()
    {
        var store = NewStore();
        await store.SetAsync("doc", new { a = 1 }, StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(10)));
        await store.SetAsync("n", 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(10)));

        Clock.Advance(TimeSpan.FromSeconds(6));
        await store.MergeAsync("doc", new { b = 2 });
        await store.UpdateAsync<int>("n", n => n + 1);

        Assert.Equal(Clock.GetUtcNow() + TimeSpan.FromSeconds(10), (await store.GetEntryAsync("doc"))!.ExpiresAt);
        Assert.Equal(Clock.GetUtcNow() + TimeSpan.FromSeconds(10), (await store.GetEntryAsync("n"))!.ExpiresAt);
        Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(await store.ExistsAsync("doc"));
        Assert.False(await store.ExistsAsync("n"));
    }

    [Fact]
    public virtual async Task Plain_set_drops_a_previous_time_to_live()
    {
        var store = NewStore();
        await store.SetAsync("k", 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(1)));
        await store.SetAsync("k", 2);

        Clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(2, await store.GetAsync<int>("k"));
        Assert.Null((await store.GetEntryAsync("k"))!.ExpiresAt);
    }

    [Fact]
    public virtual async Task Default_time_to_live_applies_when_a_write_gives_none()
    {
        var store = NewStore(o => o.DefaultTimeToLive = TimeSpan.FromMinutes(1));
        await store.SetAsync("k", 1);
        await store.SetAsync("pinned", 1, StateWriteOptions.WithTimeToLive(Timeout.InfiniteTimeSpan));

        Clock.Advance(TimeSpan.FromMinutes(1));

        Assert.False(await store.ExistsAsync("k"));
        Assert.True(await store.ExistsAsync("pinned"));
    }

    [Fact]
    public virtual async Task Sliding_expiry_is_renewed_by_reads()
    {
        var store = NewStore();
        await store.SetAsync("session", "s", new StateWriteOptions { TimeToLive = TimeSpan.FromSeconds(10), SlidingExpiration = true });

        for (var i = 0; i < 5; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(8));
            Assert.Equal("s", await store.GetAsync<string>("session"));
        }

        Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(await store.ExistsAsync("session"));
    }

    [Fact]
    public virtual async Task Invalid_time_to_live_is_an_argument_error_and_writes_nothing()
    {
        var store = NewStore();

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.SetAsync("k", 1, StateWriteOptions.WithTimeToLive(TimeSpan.Zero)));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.SetAsync("k", 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(-1))));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.SetAsync("k", 1, StateWriteOptions.IfVersion(-1)));

        Assert.False(await store.ExistsAsync("k"));
    }

    [Fact]
    public virtual async Task Expired_entries_do_not_count_toward_scope_limits()
    {
        var store = NewStore(o => o.ScopeLimits[StateScope.Custom("t")] = new StateLimits { MaxKeys = 1 });
        var scope = store.For(StateScope.Custom("t"));
        await scope.SetAsync("a", 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await scope.SetAsync("b", 1));

        Clock.Advance(TimeSpan.FromSeconds(1));

        await scope.SetAsync("b", 1);
        Assert.Equal(["b"], await ToListAsync(scope.ListKeysAsync()));
    }

    [Fact]
    public virtual async Task Expired_key_can_be_created_again_with_expected_version_zero()
    {
        var store = NewStore(o => o.ExpirationScanInterval = TimeSpan.FromDays(1));
        await store.SetAsync("lock", "a", StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SetAsync("lock", "b", StateWriteOptions.IfVersion(0)));

        Clock.Advance(TimeSpan.FromSeconds(5));

        await store.SetAsync("lock", "b", StateWriteOptions.IfVersion(0));
        Assert.Equal("b", await store.GetAsync<string>("lock"));
    }
}
