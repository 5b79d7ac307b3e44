using System.Collections.Concurrent;
using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    [Fact]
    public virtual async Task Replace_and_delete_fire_callbacks_with_their_reason()
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
    public virtual async Task Callback_runs_outside_the_lock_so_it_may_use_the_store()
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
}
