using System.Text;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FlowState.Testing;

/// <summary>
/// The <see cref="SharedStateStore"/> contract on a shared backend (a real server): the state API, conditional
/// commits, and several stores — as several processes would — sharing one state without losing updates. A backend's
/// test project derives from this class.
/// </summary>
public abstract partial class SharedStateStoreConformanceTests : IAsyncLifetime
{
    private readonly List<SharedStateStore> _stores = [];

    /// <summary>A fake clock every store uses, so expiry tests never sleep.</summary>
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>A new backend on the store named <paramref name="name"/> (a key prefix or a table); every call with the same name shares one state.</summary>
    protected abstract ISharedStateBackend CreateBackend(string name);

    /// <summary>The name of this test's shared state (a key prefix or a table), passed to <see cref="CreateBackend"/>.</summary>
    protected string StoreName { get; } = $"t{Guid.NewGuid():N}"[..20];

    /// <summary>
    /// Whether one commit may span top-level scopes (two workflow runs, a run and the global scope). True for a single
    /// server; false on Redis Cluster, where each top-level scope is a hash slot and such a commit is refused.
    /// </summary>
    protected virtual bool CommitsMaySpanTopLevelScopes => true;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    /// <summary>A store on this test's shared state; each call is a new connection, as another process would have.</summary>
    protected async Task<SharedStateStore> OpenAsync(Action<SharedStateStoreOptions>? configure = null)
    {
        var options = new SharedStateStoreOptions { Backend = CreateBackend(StoreName), TimeProvider = Clock };
        configure?.Invoke(options);
        var store = await SharedStateStore.OpenAsync(options);
        _stores.Add(store);
        return store;
    }


    [Fact]
    public virtual async Task Set_then_get_returns_the_value_and_its_version()
    {
        var store = await OpenAsync();
        var address = new Address("Oslo", "0150");

        var version = await store.SetAsync("ship-to", address);
        var entry = await store.GetEntryAsync("ship-to");

        Assert.Equal(address, await store.GetAsync<Address>("ship-to"));
        Assert.NotNull(entry);
        Assert.Equal(version, entry.Version);
        Assert.Equal("""{"City":"Oslo","Zip":"0150"}""", Encoding.UTF8.GetString(entry.Value.Span));
        Assert.Null(await store.GetAsync<Address>("missing"));
        Assert.Equal((false, 0), await store.TryGetAsync<int>("missing"));
        Assert.False(await store.ExistsAsync("missing"));
    }

    [Fact]
    public virtual async Task Every_commit_gets_a_higher_version()
    {
        var store = await OpenAsync();

        var first = await store.SetAsync("a", 1);
        var second = await store.SetAsync("b", 2);
        var third = await store.SetAsync("a", 3);

        Assert.True(first < second && second < third, $"{first} {second} {third}");
    }

    [Fact]
    public virtual async Task A_write_with_a_stale_expected_version_is_refused_and_writes_nothing()
    {
        var store = await OpenAsync();
        var version = await store.SetAsync("k", "v1");
        await store.SetAsync("k", "v2");

        var error = await Assert.ThrowsAsync<StateConflictException>(async () => await store.SetAsync("k", "mine", StateWriteOptions.IfVersion(version)));

        Assert.Contains("'k'", error.Message, StringComparison.Ordinal);
        Assert.Equal(("k", version), (error.Key, error.ExpectedVersion));
        Assert.True(error.ActualVersion > version, $"actual version {error.ActualVersion}");
        Assert.Equal("v2", await store.GetAsync<string>("k"));
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SetAsync("k", "new", StateWriteOptions.IfVersion(0)));
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.DeleteAsync("k", StateWriteOptions.IfVersion(version)));
        Assert.Equal("v2", await store.GetAsync<string>("k"));
    }

    [Fact]
    public virtual async Task Expected_version_zero_creates_only_when_absent()
    {
        var store = await OpenAsync();

        await store.SetAsync("lock", "me", StateWriteOptions.IfVersion(0));

        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SetAsync("lock", "you", StateWriteOptions.IfVersion(0)));
        Assert.Equal("me", await store.GetAsync<string>("lock"));
    }

    [Fact]
    public virtual async Task Delete_reports_whether_the_key_existed()
    {
        var store = await OpenAsync();
        await store.SetAsync("k", 1);

        Assert.True(await store.DeleteAsync("k"));
        Assert.False(await store.DeleteAsync("k"));
        Assert.Null(await store.GetEntryAsync("k"));
    }

    [Fact]
    public virtual async Task Merge_applies_a_json_merge_patch()
    {
        var store = await OpenAsync();
        await store.SetRawAsync("doc", """{"title":"a","tags":["x"],"meta":{"draft":true,"owner":"ann"}}"""u8.ToArray());

        await store.MergeAsync("doc", new { title = "b", meta = new { draft = (bool?)null } });
        await store.MergeAsync("new", new { created = true });

        Assert.Equal("""{"title":"b","tags":["x"],"meta":{"owner":"ann"}}""", (await store.GetEntryAsync("doc"))!.ToString());
        Assert.Equal("""{"created":true}""", (await store.GetEntryAsync("new"))!.ToString());
    }

    [Fact]
    public virtual async Task Update_applies_the_function_to_the_current_value()
    {
        var store = await OpenAsync();

        await store.UpdateAsync<int>("counter", n => n + 1);
        var result = await store.UpdateAsync<int>("counter", n => n + 10);

        Assert.Equal(11, result);
        Assert.Equal(11, await store.GetAsync<int>("counter"));
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.UpdateAsync<int>("counter", n => n + 1, StateWriteOptions.IfVersion(1)));
        Assert.Equal(11, await store.GetAsync<int>("counter"));
    }

    [Fact]
    public virtual async Task An_entry_expires_after_its_time_to_live_and_merges_keep_it()
    {
        var store = await OpenAsync();
        await store.SetAsync("session", new { user = "ann" }, StateWriteOptions.WithTimeToLive(TimeSpan.FromMinutes(10)));
        Clock.Advance(TimeSpan.FromMinutes(5));
        await store.MergeAsync("session", new { page = 2 });

        var entry = await store.GetEntryAsync("session");
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 15, 0, TimeSpan.Zero), entry!.ExpiresAt);
        Clock.Advance(TimeSpan.FromMinutes(10));

        Assert.Null(await store.GetEntryAsync("session"));
        Assert.Empty(await ConformanceTestBase.ToListAsync(store.ListKeysAsync()));
        await store.SetAsync("session", "fresh", StateWriteOptions.IfVersion(0));
        Assert.Equal("fresh", await store.GetAsync<string>("session"));
    }

    [Fact]
    public virtual async Task The_default_time_to_live_applies_to_writes_without_one()
    {
        var store = await OpenAsync(o => o.DefaultTimeToLive = TimeSpan.FromSeconds(30));
        await store.SetAsync("k", 1);

        Clock.Advance(TimeSpan.FromSeconds(31));

        Assert.False(await store.ExistsAsync("k"));
    }

    [Fact]
    public virtual async Task A_batch_commits_all_its_operations_under_one_version()
    {
        var store = await OpenAsync();
        await store.SetAsync("old", 1);
        var run = store.For(StateScope.Workflow("run-1"));

        var version = await run.ApplyAsync(run.CreateBatch()
            .Set("status", "running")
            .Set("doc", new { a = 1 })
            .Merge("doc", new { b = 2 })
            .Step("fetch").Set("cursor", 3));

        Assert.Equal(version, (await run.GetEntryAsync("status"))!.Version);
        Assert.Equal("""{"a":1,"b":2}""", (await run.GetEntryAsync("doc"))!.ToString());
        Assert.Equal(3, await store.For(StateScope.Step("run-1", "fetch")).GetAsync<int>("cursor"));
    }

    [Fact]
    public virtual async Task A_batch_across_top_level_scopes_commits_atomically_or_is_refused_with_nothing_written()
    {
        var store = await OpenAsync();
        var batch = store.CreateBatch();
        batch.Scope("run-a").Set("n", 1);
        batch.Scope("run-b").Set("n", 2);
        batch.Set("total", 3);

        if (CommitsMaySpanTopLevelScopes)
        {
            var version = await store.ApplyAsync(batch);
            Assert.Equal(version, (await store.Scope("run-a").GetEntryAsync("n"))!.Version);
            Assert.Equal(version, (await store.Scope("run-b").GetEntryAsync("n"))!.Version);
            Assert.Equal(version, (await store.GetEntryAsync("total"))!.Version);
        }
        else
        {
            var error = await Assert.ThrowsAsync<StateBackendException>(async () => await store.ApplyAsync(batch));
            Assert.Contains("top-level scopes", error.Message, StringComparison.Ordinal);
            Assert.False(await store.Scope("run-a").ExistsAsync("n"));
            Assert.False(await store.Scope("run-b").ExistsAsync("n"));
            Assert.False(await store.ExistsAsync("total"));
        }
    }

    [Fact]
    public virtual async Task A_batch_whose_version_check_fails_writes_nothing()
    {
        var store = await OpenAsync();
        var version = await store.SetAsync("guard", 1);
        await store.SetAsync("guard", 2);

        await Assert.ThrowsAsync<StateConflictException>(async () => await store.ApplyAsync(store.CreateBatch()
            .Set("a", 1)
            .Delete("b")
            .RequireVersion("guard", version)));

        Assert.False(await store.ExistsAsync("a"));
    }

    [Fact]
    public virtual async Task Scopes_are_isolated_and_listing_is_ordered()
    {
        var store = await OpenAsync();
        var runA = store.For(StateScope.Workflow("a"));
        var runB = store.For(StateScope.Workflow("b"));
        await runA.SetAsync("item:2", 2);
        await runA.SetAsync("item:1", 1);
        await runA.SetAsync("other", 0);
        await runA.Scope("child").SetAsync("deep", 9);
        await runB.SetAsync("item:1", 100);

        Assert.Equal(["item:1", "item:2", "other"], await ConformanceTestBase.ToListAsync(runA.ListKeysAsync()));
        Assert.Equal(["item:1", "item:2"], await ConformanceTestBase.ToListAsync(runA.ListKeysAsync("item:")));
        Assert.Equal(1, await runA.GetAsync<int>("item:1"));
        Assert.Equal(100, await runB.GetAsync<int>("item:1"));
        Assert.Equal(["workflow:a:item:1", "workflow:a:item:2", "workflow:a:other", "workflow:a:child:deep"], (await ConformanceTestBase.ToListAsync(runA.ListAllAsync())).Select(k => k.ToString()));
        Assert.Equal(4, await runA.CountAsync());
        Assert.Equal(5, await store.CountAsync());
    }

    [Fact]
    public virtual async Task Clear_removes_the_scope_and_its_children_only()
    {
        var store = await OpenAsync();
        var run = store.For(StateScope.Workflow("r"));
        await run.SetAsync("a", 1);
        await run.Scope("step").SetAsync("b", 2);
        await store.For(StateScope.Workflow("other")).SetAsync("c", 3);
        await store.SetAsync("global", 4);

        Assert.Equal(2, await run.ClearAsync());

        Assert.Equal(0, await run.CountAsync());
        Assert.Equal(3, await store.For(StateScope.Workflow("other")).GetAsync<int>("c"));
        Assert.Equal(4, await store.GetAsync<int>("global"));
        Assert.Equal(0, await run.ClearAsync());
    }

    [Fact]
    public virtual async Task Clearing_a_scope_only_keeps_its_child_scopes_for_every_client()
    {
        var store = await OpenAsync();
        await using var other = await OpenAsync();
        await store.SetAsync("setting", 1);
        var run = store.For(StateScope.Workflow("r"));
        await run.SetAsync("a", 1);
        await run.Scope("step").SetAsync("b", 2);

        Assert.Equal(1, await store.ClearAsync(StateClearExtent.ScopeOnly));
        Assert.Equal(1, await run.ClearAsync(StateClearExtent.ScopeOnly));

        Assert.False(await other.ExistsAsync("setting"));
        Assert.False(await other.For(StateScope.Workflow("r")).ExistsAsync("a"));
        Assert.Equal(2, await other.For(StateScope.Workflow("r")).Scope("step").GetAsync<int>("b"));
        Assert.Equal(0, await store.ClearAsync(StateClearExtent.ScopeOnly));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.ClearAsync((StateClearExtent)(-1)));
    }

    [Fact]
    public virtual async Task Bad_values_are_refused_with_typed_errors_and_nothing_is_written()
    {
        var store = await OpenAsync(o => o.MaxValueBytes = 100);
        await store.SetAsync("k", "kept");

        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetRawAsync("k", "{not json"u8.ToArray()));
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.SetAsync("k", new string('x', 200)));
        await Assert.ThrowsAsync<NotSupportedException>(async () => await store.SetAsync("k", 1, new StateWriteOptions { TimeToLive = TimeSpan.FromMinutes(1), SlidingExpiration = true }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SetAsync("", 1));

        Assert.Equal("kept", await store.GetAsync<string>("k"));
    }

    [Fact]
    public virtual async Task A_watcher_sees_changes_committed_by_another_store()
    {
        var watching = await OpenAsync();
        var writing = await OpenAsync();
        var run = StateScope.Workflow("watched");
        var changes = ConformanceTestBase.TakeAsync(watching.For(run).WatchAsync("item:"), 3);

        await writing.For(StateScope.Workflow("elsewhere")).SetAsync("item:x", 0);
        await writing.For(run).SetAsync("ignored", 0);
        await writing.For(run).SetAsync("item:1", "one");
        await writing.For(run).Scope("step").SetAsync("item:2", "two");
        await writing.For(run).DeleteAsync("item:1");

        var seen = await changes;
        Assert.Equal(["Set workflow:watched:item:1", "Set workflow:watched:step:item:2", "Deleted workflow:watched:item:1"], seen.Select(c => $"{c.Kind} {c.Scope.Path}{c.Key}"));
        Assert.Equal("\"one\"", Encoding.UTF8.GetString(seen[0].Value.Span));
        Assert.All(seen, c => Assert.Null(c.PreviousVersion));
    }

    [Fact]
    public virtual async Task Concurrent_updates_from_several_stores_lose_nothing()
    {
        const int Stores = 4;
        const int Increments = 100;
        var stores = new List<SharedStateStore>();
        for (var i = 0; i < Stores; i++)
        {
            stores.Add(await OpenAsync());
        }

        await Task.WhenAll(stores.Select(store => Task.Run(async () =>
        {
            for (var i = 0; i < Increments; i++)
            {
                await store.UpdateAsync<int>("hits", n => n + 1);
                await store.MergeAsync("doc", new Dictionary<string, int> { [$"k{i % 10}"] = i });
            }
        })));

        Assert.Equal(Stores * Increments, await stores[0].GetAsync<int>("hits"));
    }

    [Fact]
    public virtual async Task A_run_lease_excludes_other_workers_until_it_lapses_and_then_fences_the_old_holder_out()
    {
        var store = await OpenAsync();
        var leases = new RunLeases(store, Clock);
        var first = await leases.TryAcquireAsync("run-1", "worker-a", TimeSpan.FromSeconds(30));
        Assert.NotNull(first);
        Assert.Null(await leases.TryAcquireAsync("run-1", "worker-b", TimeSpan.FromSeconds(30)));
        var fenced = leases.Fence(first);
        await fenced.SetAsync("progress", 1);
        Clock.Advance(TimeSpan.FromSeconds(20));
        first = await leases.RenewAsync(first, TimeSpan.FromSeconds(30));
        await fenced.SetAsync("progress", 1); // a renewal keeps the fencing token
        Clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Null(await leases.TryAcquireAsync("run-1", "worker-b", TimeSpan.FromSeconds(30)));
        Clock.Advance(TimeSpan.FromSeconds(11));

        var second = await leases.TryAcquireAsync("run-1", "worker-b", TimeSpan.FromSeconds(30));

        Assert.NotNull(second);
        Assert.True(second.FencingToken > first.FencingToken);
        var zombie = leases.Fence(first);
        await Assert.ThrowsAsync<RunLeaseLostException>(async () => await zombie.SetAsync("progress", 99));
        await Assert.ThrowsAsync<RunLeaseLostException>(async () => await zombie.Scope("step").SetAsync("x", 99));
        await Assert.ThrowsAsync<RunLeaseLostException>(async () => await zombie.UpdateAsync<int>("progress", n => n + 99));
        await Assert.ThrowsAsync<RunLeaseLostException>(async () => await zombie.DeleteAsync("progress"));
        await Assert.ThrowsAsync<RunLeaseLostException>(async () => await zombie.ApplyAsync(zombie.CreateBatch().Set("a", 1)));
        await Assert.ThrowsAsync<RunLeaseLostException>(async () => await zombie.ClearAsync());
        await Assert.ThrowsAsync<RunLeaseLostException>(async () => await leases.RenewAsync(first, TimeSpan.FromSeconds(30)));
        Assert.False(await leases.ReleaseAsync(first));
        var run = store.For(StateScope.Workflow("run-1"));
        Assert.Equal(1, await run.GetAsync<int>("progress"));
        Assert.False(await run.ExistsAsync("a"));
        Assert.Equal(2, await leases.Fence(second).UpdateAsync<int>("progress", n => n + 1));
        Assert.Equal("worker-b", await leases.GetOwnerAsync("run-1"));
        Assert.True(await leases.ReleaseAsync(second));
        Assert.Null(await leases.GetOwnerAsync("run-1"));
        Assert.NotNull(await leases.TryAcquireAsync("run-1", "worker-c", TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public virtual async Task A_second_store_sees_what_the_first_committed_at_once()
    {
        var first = await OpenAsync();
        var second = await OpenAsync();

        await first.SetAsync("k", "from first");
        Assert.Equal("from first", await second.GetAsync<string>("k"));
        await second.DeleteAsync("k");
        Assert.False(await first.ExistsAsync("k"));
    }
}
