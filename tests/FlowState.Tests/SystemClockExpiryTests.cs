namespace FlowState.Tests;

/// <summary>The TTL fast path used with the real system clock (the conformance suite runs on a fake clock).</summary>
public sealed class SystemClockExpiryTests
{
    [Fact]
    public void Coarse_clock_never_estimates_earlier_than_the_real_clock()
    {
        var clock = new CoarseUtcClock(TimeProvider.System);
        for (var i = 0; i < 10_000; i++)
        {
            var before = DateTime.UtcNow.Ticks;
            Assert.True(clock.UpperBoundUtcTicks() >= before);
        }
    }

    [Fact]
    public async Task Entry_is_never_returned_after_it_expired_by_the_system_clock()
    {
        await using var store = new StateStore(new StateStoreOptions { ExpirationScanInterval = TimeSpan.FromHours(1) });
        var ttl = TimeSpan.FromMilliseconds(300);
        await store.SetAsync("k", 1, StateWriteOptions.WithTimeToLive(ttl));
        var expiresAt = (await store.GetEntryAsync("k"))!.ExpiresAt!.Value.UtcTicks;
        var hitsAfterExpiry = 0;
        var readsAfterExpiry = 0;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (DateTime.UtcNow < deadline)
        {
            var started = DateTime.UtcNow.Ticks;
            var found = await store.ExistsAsync("k");
            if (started >= expiresAt)
            {
                readsAfterExpiry++;
                hitsAfterExpiry += found ? 1 : 0;
            }
        }

        Assert.True(readsAfterExpiry > 0);
        Assert.Equal(0, hitsAfterExpiry);
    }

    [Fact]
    public async Task Entry_far_from_expiry_is_read_without_error_on_the_fast_path()
    {
        await using var store = new StateStore();
        await store.SetAsync("k", "v", StateWriteOptions.WithTimeToLive(TimeSpan.FromHours(1)));

        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal("v", await store.GetAsync<string>("k"));
        }
    }

    [Fact]
    public async Task Expired_callback_fires_within_a_second_of_expiry_by_the_system_clock()
    {
        var fired = new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var store = new StateStore(new StateStoreOptions
        {
            OnEvicted = e =>
            {
                if (e.Reason == EvictionReason.Expired)
                {
                    fired.TrySetResult(DateTime.UtcNow);
                }
            },
        });
        await store.SetAsync("k", 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromMilliseconds(200)));
        var expiresAt = (await store.GetEntryAsync("k"))!.ExpiresAt!.Value.UtcDateTime;

        var firedAt = await fired.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(firedAt >= expiresAt, $"fired {firedAt:O} before expiry {expiresAt:O}");
        Assert.True(firedAt - expiresAt < TimeSpan.FromSeconds(1), $"fired {(firedAt - expiresAt).TotalMilliseconds} ms after expiry");
    }
}
