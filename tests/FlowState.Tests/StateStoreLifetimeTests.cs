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
}
