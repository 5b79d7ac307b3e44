using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    [Fact]
    public virtual async Task Watch_streams_the_scopes_changes_in_version_order()
    {
        var store = NewStore();
        var run = store.For(StateScope.Workflow("r"));
        var changes = run.WatchAsync();

        var v1 = await run.SetAsync("a", 1);
        var v2 = await run.MergeAsync("doc", new { x = 1 });
        var v3 = await store.For(StateScope.Step("r", "s")).SetAsync("child", 1);
        await store.SetAsync("outside", 1);
        await store.For(StateScope.Workflow("r2")).SetAsync("sibling", 1);
        await run.DeleteAsync("a");
        var batchVersion = await run.ApplyAsync(run.CreateBatch().Set("b", 1).Set("c", 1));

        var seen = await TakeAsync(changes, 6);

        Assert.Equal(
            [
                ("a", StateChangeKind.Set, v1),
                ("doc", StateChangeKind.Merged, v2),
                ("child", StateChangeKind.Set, v3),
                ("a", StateChangeKind.Deleted, v3 + 3),
                ("b", StateChangeKind.Set, batchVersion),
                ("c", StateChangeKind.Set, batchVersion),
            ],
            seen.Select(c => (c.Key, c.Kind, c.Version)));
        Assert.Equal(StateScope.Step("r", "s"), seen[2].Scope);
        Assert.Equal("""{"x":1}""", System.Text.Encoding.UTF8.GetString(seen[1].Value.Span));
    }

    [Fact]
    public virtual async Task Watch_changes_carry_the_version_and_value_each_key_had_before()
    {
        var store = NewStore();
        var run = store.For(StateScope.Workflow("prev"));
        var changes = run.WatchAsync();

        var created = await run.SetAsync("a", 1);
        await run.SetAsync("a", 2);
        var merged = await run.MergeAsync("doc", new { x = 1 });
        await run.MergeAsync("doc", new { y = 2 });
        var replaced = (await run.GetEntryAsync("a"))!.Version;
        await run.DeleteAsync("a");
        var docVersion = (await run.GetEntryAsync("doc"))!.Version;
        await run.ClearAsync();

        var seen = await TakeAsync(changes, 6);
        Assert.Equal(
            [(StateChangeKind.Set, 0L), (StateChangeKind.Set, created), (StateChangeKind.Merged, 0L), (StateChangeKind.Merged, merged), (StateChangeKind.Deleted, replaced), (StateChangeKind.Deleted, docVersion)],
            seen.Select(c => (c.Kind, c.PreviousVersion ?? -1)));

        // A store that pages values out knows the previous value only while it is in memory; every other store knows it always.
        var pagesOut = store.PagingStatistics.PageOuts > 0;
        string?[] expected = [null, "1", null, """{"x":1}""", "2", """{"x":1,"y":2}"""];
        for (var i = 0; i < seen.Count; i++)
        {
            var previous = seen[i].PreviousValue.IsEmpty ? null : System.Text.Encoding.UTF8.GetString(seen[i].PreviousValue.Span);
            Assert.True(previous == expected[i] || (pagesOut && previous is null), $"change {i} ({seen[i]}): previous value {previous ?? "(none)"}, expected {expected[i] ?? "(none)"}");
        }
    }

    [Fact]
    public virtual async Task Watch_with_a_prefix_sees_only_matching_keys()
    {
        var store = NewStore();
        var changes = store.WatchAsync("order:");

        await store.SetAsync("user:1", 1);
        await store.SetAsync("order:1", 1);
        await store.Scope("nested").SetAsync("order:2", 1);

        Assert.Equal(["order:1", "order:2"], (await TakeAsync(changes, 2)).Select(c => c.Key));
    }

    [Fact]
    public virtual async Task Watcher_that_falls_behind_fails_loudly_instead_of_missing_changes()
    {
        var store = NewStore(o => o.WatchBufferCapacity = 4);
        var changes = store.WatchAsync();

        for (var i = 0; i < 10; i++)
        {
            await store.SetAsync($"k{i}", i);
        }

        var received = new List<StateChange>();
        var ex = await Assert.ThrowsAsync<StateLimitExceededException>(async () =>
        {
            await foreach (var change in changes)
            {
                received.Add(change);
            }
        });
        Assert.Contains("WatchBufferCapacity", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, received.Count);
        Assert.Equal(10, await store.CountAsync());
    }

    [Fact]
    public virtual async Task Cancelling_a_watch_ends_it()
    {
        var store = NewStore();
        using var cts = new CancellationTokenSource();
        var changes = store.WatchAsync(cancellationToken: cts.Token);
        await store.SetAsync("a", 1);

        var enumerator = changes.GetAsyncEnumerator(cts.Token);
        Assert.True(await enumerator.MoveNextAsync());
        var next = enumerator.MoveNextAsync();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await next);
        await enumerator.DisposeAsync();
        await store.SetAsync("b", 1);
    }
}
