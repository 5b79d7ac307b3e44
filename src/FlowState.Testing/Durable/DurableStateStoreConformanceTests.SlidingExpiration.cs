using System.Collections.Concurrent;
using Xunit;

namespace FlowState.Testing;

/// <summary>Sliding expirations renewed by reads are saved to the backend: a restart keeps them.</summary>
public abstract partial class DurableStateStoreConformanceTests
{
    private static readonly StateWriteOptions TenMinutesSliding = new() { TimeToLive = TimeSpan.FromMinutes(10), SlidingExpiration = true };

    [Fact]
    public virtual async Task A_sliding_renewal_made_by_a_read_survives_closing_and_reopening_the_store()
    {
        var start = Clock.GetUtcNow();
        await using (var store = await OpenAsync("sliding-reopen"))
        {
            await store.SetAsync("session", "s1", TenMinutesSliding);
            Clock.Advance(TimeSpan.FromMinutes(8));
            Assert.Equal("s1", await store.GetAsync<string>("session"));
            Clock.Advance(TimeSpan.FromMinutes(1));
        }

        // Minute 12: past the deadline the write set (10), before the one the read at minute 8 moved it to (18).
        Clock.Advance(TimeSpan.FromMinutes(3));
        await using (var reopened = await OpenAsync("sliding-reopen"))
        {
            Assert.Equal(["session"], await ToListAsync(reopened.ListKeysAsync()));
            var entry = await reopened.GetEntryAsync("session");
            Assert.Equal(start + TimeSpan.FromMinutes(22), entry!.ExpiresAt);
        }

        Clock.Advance(TimeSpan.FromMinutes(11));
        await using var expired = await OpenAsync("sliding-reopen");
        Assert.False(await expired.ExistsAsync("session"));
    }

    [Fact]
    public virtual async Task Sliding_renewals_reach_the_backend_once_per_save_interval_however_often_the_key_is_read()
    {
        var backend = new UpsertRecordingBackend(CreateBackend("sliding-batched"));
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, TimeProvider = Clock, SlidingExpirationSaveInterval = TimeSpan.FromSeconds(1) });
        await store.SetAsync("session", "s1", TenMinutesSliding);
        Assert.Single(backend.UpsertsOf("session"));

        for (var i = 0; i < 1000; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(2));
            await store.GetAsync<string>("session");
        }

        var lastRead = Clock.GetUtcNow();
        Clock.Advance(TimeSpan.FromSeconds(1));
        // A durable write: the renewals written behind before it are in the backend when it returns.
        await store.SetAsync("marker", 1);

        var upserts = backend.UpsertsOf("session");
        Assert.InRange(upserts.Count - 1, 1, 3);
        Assert.Equal((lastRead + TimeSpan.FromMinutes(10)).UtcTicks, upserts[^1].ExpiresAtUtcTicks);
        Assert.All(upserts, u => Assert.Equal(upserts[0].Version, u.Version));
    }

    [Fact]
    public virtual async Task A_renewal_is_saved_when_its_value_is_paged_out_before_the_next_save()
    {
        var start = Clock.GetUtcNow();
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions
        {
            Backend = CreateBackend("sliding-paged"),
            TimeProvider = Clock,
            MaxEntries = 1,
            SlidingExpirationSaveInterval = TimeSpan.FromDays(1),
        }))
        {
            await store.SetAsync("session", "s1", TenMinutesSliding);
            await store.SetAsync("other", 1);
            Clock.Advance(TimeSpan.FromMinutes(8));
            Assert.Equal("s1", await store.GetAsync<string>("session"));
            var pageOuts = store.PagingStatistics.PageOuts;
            await store.SetAsync("third", 1);
            Assert.True(store.PagingStatistics.PageOuts > pageOuts, "writing a third key pages the renewed value out");
            Clock.Advance(TimeSpan.FromMinutes(1));
        }

        Clock.Advance(TimeSpan.FromMinutes(3));
        await using var reopened = await OpenAsync("sliding-paged");
        var keys = await ToListAsync(reopened.ListKeysAsync());
        Assert.Contains("session", keys);
        Assert.Equal(start + TimeSpan.FromMinutes(22), (await reopened.GetEntryAsync("session"))!.ExpiresAt);
    }

    [Fact]
    public virtual void A_save_interval_that_is_not_positive_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new StateStore(new StateStoreOptions { SlidingExpirationSaveInterval = TimeSpan.Zero }));

        Assert.Contains("SlidingExpirationSaveInterval must be positive", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A real backend that remembers every upsert it applied, per key.</summary>
    private sealed class UpsertRecordingBackend(IStateBackend inner) : IStateBackend
    {
        private readonly ConcurrentQueue<BackendEntry> _upserts = new();

        public string Description => inner.Description;

        public List<BackendEntry> UpsertsOf(string key) => [.. _upserts.Where(e => e.Key == key)];

        public ValueTask OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);

        public IAsyncEnumerable<BackendEntry> ScanAsync(string scopeKeyPrefix, CancellationToken cancellationToken) => inner.ScanAsync(scopeKeyPrefix, cancellationToken);

        public ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken) => inner.GetAsync(scopeKey, key, cancellationToken);

        public async ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
        {
            await inner.ApplyAsync(changes, durability, cancellationToken);
            foreach (var change in changes)
            {
                if (change.Entry is { } entry)
                {
                    _upserts.Enqueue(entry);
                }
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
