using System.Text.Json.Nodes;
using Xunit;

namespace FlowState.Testing;

/// <summary>
/// What a store on a durable backend must keep across a close and reopen: every acknowledged write, versions,
/// expiries, scopes; and that concurrent writers share backend transactions (group commit). A backend's test project
/// derives from this class and implements <see cref="CreateBackend"/>.
/// </summary>
public abstract partial class DurableStateStoreConformanceTests : ConformanceTestBase
{
    /// <summary>A backend over the storage named <paramref name="storage"/>; the same name reaches the same data.</summary>
    protected abstract IStateBackend CreateBackend(string storage);

    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend ??= CreateBackend("default");
        return StateStore.OpenAsync(options).GetAwaiter().GetResult();
    }

    protected Task<StateStore> OpenAsync(string storage, Durability durability = Durability.Process) =>
        StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(storage), Durability = durability, TimeProvider = Clock });

    [Theory]
    [InlineData(Durability.Process)]
    [InlineData(Durability.Machine)]
    public virtual async Task Reopen_sees_every_acknowledged_write(Durability durability)
    {
        var storage = "reopen-" + durability;
        Dictionary<string, (string Json, long Version)> expected;
        await using (var store = await OpenAsync(storage, durability))
        {
            var run = store.For(StateScope.Workflow("r:1"));
            await run.SetAsync("a", new { x = 1 });
            await run.MergeAsync("a", new { y = 2 });
            await store.For(StateScope.Step("r:1", "fetch")).SetAsync("cursor", 10);
            await store.SetAsync("gone", 1);
            await store.DeleteAsync("gone");
            await store.Scope("a%b").ApplyAsync(store.Scope("a%b").CreateBatch().Set("k1", "v1").Set("k2", "v2"));
            await store.UpdateAsync<int>("counter", n => n + 5);
            expected = await StoreSnapshot.TakeAsync(store);
        }

        await using var reopened = await OpenAsync(storage, durability);
        var actual = await StoreSnapshot.TakeAsync(reopened);

        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), actual.OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal(5, actual.Count);
        Assert.Equal("""{"x":1,"y":2}""", actual["workflow:r:1:a"].Json);
        Assert.False(await reopened.ExistsAsync("gone"));
    }

    [Fact]
    public virtual async Task Versions_never_repeat_after_the_newest_keys_were_deleted_and_the_store_reopened()
    {
        long deletedAt;
        long clearedAt;
        await using (var store = await OpenAsync("versions-deleted"))
        {
            await store.SetAsync("kept", 1);
            var version = await store.SetAsync("newest", 1);
            await store.DeleteAsync("newest");
            deletedAt = store.CurrentVersion;
            Assert.True(deletedAt > version);
            await store.For(StateScope.Workflow("run")).SetAsync("a", 1);
            await store.For(StateScope.Workflow("run")).ClearAsync();
            clearedAt = store.CurrentVersion;
        }

        // A reader that saw "newest" at its version must not see that version come back on another value: an
        // ExpectedVersion check would pass against a different write.
        await using var reopened = await OpenAsync("versions-deleted");
        Assert.Equal(clearedAt, reopened.CurrentVersion);
        Assert.True(await reopened.SetAsync("newest", 2) > clearedAt);
    }

    [Fact]
    public virtual async Task Clearing_a_scope_only_survives_a_reopen_with_the_child_scopes_intact()
    {
        await using (var store = await OpenAsync("clear-own"))
        {
            await store.SetAsync("setting", 1);
            await store.For(StateScope.Workflow("run")).SetAsync("a", 1);
            await store.ClearAsync(StateClearExtent.ScopeOnly);
        }

        await using var reopened = await OpenAsync("clear-own");
        Assert.False(await reopened.ExistsAsync("setting"));
        Assert.Equal(1, await reopened.For(StateScope.Workflow("run")).GetAsync<int>("a"));
    }

    [Fact]
    public virtual async Task Versions_continue_after_reopen()
    {
        long last;
        await using (var store = await OpenAsync("versions"))
        {
            await store.SetAsync("a", 1);
            last = await store.SetAsync("b", 1);
        }

        await using var reopened = await OpenAsync("versions");
        Assert.Equal(last, reopened.CurrentVersion);
        var next = await reopened.SetAsync("a", 2);
        Assert.True(next > last);
        Assert.Equal(next, (await reopened.GetEntryAsync("a"))!.Version);
    }

    [Fact]
    public virtual async Task Time_to_live_survives_reopen_and_expired_entries_are_not_loaded()
    {
        await using (var store = await OpenAsync("ttl"))
        {
            await store.SetAsync("short", 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(10)));
            await store.SetAsync("long", 1, StateWriteOptions.WithTimeToLive(TimeSpan.FromHours(1)));
            await store.SetAsync("doc", new { a = 1 }, StateWriteOptions.WithTimeToLive(TimeSpan.FromMinutes(5)));
        }

        var expiresAt = Clock.GetUtcNow() + TimeSpan.FromHours(1);
        Clock.Advance(TimeSpan.FromSeconds(10));
        await using (var reopened = await OpenAsync("ttl"))
        {
            Assert.False(await reopened.ExistsAsync("short"));
            Assert.Equal(expiresAt, (await reopened.GetEntryAsync("long"))!.ExpiresAt);
            Assert.Equal(2, await reopened.CountAsync());

            // A merge after reopen keeps the stored time to live (renewed from now).
            await reopened.MergeAsync("doc", new { b = 2 });
            Assert.Equal(Clock.GetUtcNow() + TimeSpan.FromMinutes(5), (await reopened.GetEntryAsync("doc"))!.ExpiresAt);
        }

        Clock.Advance(TimeSpan.FromHours(1));
        await using var later = await OpenAsync("ttl");
        Assert.Equal(0, await later.CountAsync());
    }

    [Fact]
    public virtual async Task Rejected_batch_leaves_nothing_after_reopen()
    {
        await using (var store = await OpenAsync("batch"))
        {
            var v = await store.SetAsync("guard", 1);
            await Assert.ThrowsAsync<StateConflictException>(async () =>
                await store.ApplyAsync(store.CreateBatch().Set("a", 1).Set("b", 1).RequireVersion("guard", v + 1)));
            await store.ApplyAsync(store.CreateBatch().Set("c", 1).Set("d", 1).RequireVersion("guard", v));
        }

        await using var reopened = await OpenAsync("batch");
        Assert.Equal(["c", "d", "guard"], await ToListAsync(reopened.ListKeysAsync()));
    }

    [Fact]
    public virtual async Task Clear_and_run_cleanup_survive_reopen()
    {
        await using (var store = await OpenAsync("clear"))
        {
            var runs = new FlowStateStorage(store);
            await runs.UpdateStateAsync("r1", new { a = 1, b = 2 });
            await runs.Step("r1", "s").SetAsync("x", 1);
            await runs.UpdateStateAsync("r2", new { a = 1 });
            await runs.CleanupAsync("r1");
        }

        await using var reopened = await OpenAsync("clear");
        var runs2 = new FlowStateStorage(reopened);
        Assert.Empty(await runs2.GetStateAsync("r1"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":1}"""), await runs2.GetStateAsync("r2")));
        Assert.Equal(1, await reopened.CountAsync());
    }

    [Fact]
    public virtual async Task Concurrent_writers_share_backend_transactions()
    {
        await using var store = await OpenAsync("group");
        const int writers = 16, writes = 100;

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < writes; i++)
            {
                await store.SetAsync($"w{w}:{i}", i);
            }
        })));

        var (groups, commits, _) = store.GroupCommitStatistics;
        Assert.Equal(writers * writes, commits);
        Assert.True(groups < commits, $"{commits} commits took {groups} backend transactions; group commit should share them");
        Assert.Equal(writers * writes, await store.CountAsync());
    }

    [Fact]
    public virtual void Store_with_a_backend_must_be_opened()
    {
        Assert.Throws<InvalidOperationException>(() => new StateStore(new StateStoreOptions { Backend = CreateBackend("ctor") }));
    }
}
