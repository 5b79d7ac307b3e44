namespace FlowState.Tests;

public sealed class StateStoreLifetimeTests
{
    [Fact]
    public async Task Disposed_store_refuses_writes_and_ends_its_watchers()
    {
        var store = new StateStore();
        await store.SetAsync("k", 1);
        var changes = store.WatchAsync();

        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.SetAsync("k", 2));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.ClearAsync());
        Assert.Throws<ObjectDisposedException>(() => store.WatchAsync());
        var seen = 0;
        await foreach (var _ in changes)
        {
            seen++;
        }

        Assert.Equal(0, seen);
        Assert.Equal(1, await store.GetAsync<int>("k"));
        await store.DisposeAsync();
    }

    [Fact]
    public void Store_nobody_disposed_is_collected_and_its_expiry_timer_disposes_itself()
    {
        var clock = new TimerTrackingTimeProvider();
        var store = CreateAndForget(clock);
        for (var i = 0; i < 20 && store.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(store.IsAlive, "the expiry timer (or something else) kept an undisposed store alive");
        var timer = Assert.Single(clock.Timers);
        Assert.False(timer.Disposed);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(timer.Disposed, "the timer fired after its store was collected but did not dispose itself");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference CreateAndForget(TimeProvider clock)
    {
        var store = new StateStore(new StateStoreOptions { TimeProvider = clock });
        store.SetAsync("k", 1).AsTask().GetAwaiter().GetResult();
        return new WeakReference(store);
    }

    /// <summary>A fake clock that remembers the timers it made and whether they were disposed.</summary>
    private sealed class TimerTrackingTimeProvider : TimeProvider
    {
        private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _inner = new();

        public List<TrackedTimer> Timers { get; } = [];

        public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

        public void Advance(TimeSpan by) => _inner.Advance(by);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new TrackedTimer(_inner.CreateTimer(callback, state, dueTime, period));
            Timers.Add(timer);
            return timer;
        }
    }

    private sealed class TrackedTimer(ITimer inner) : ITimer
    {
        public bool Disposed { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            Disposed = true;
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return inner.DisposeAsync();
        }
    }
}
