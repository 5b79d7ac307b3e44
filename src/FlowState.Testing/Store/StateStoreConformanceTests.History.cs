using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    [Fact]
    public virtual async Task History_keeps_the_last_n_versions_of_a_key_newest_first()
    {
        var store = NewStore(o => o.History[StateScope.Workflow("audited")] = 3);
        var audited = store.For(StateScope.Workflow("audited"));
        var versions = new List<long>();
        for (var i = 1; i <= 5; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            versions.Add(await audited.SetAsync("balance", i * 100));
        }

        Clock.Advance(TimeSpan.FromSeconds(1));
        await audited.MergeAsync("doc", new { a = 1 });
        var deletedAt = Clock.GetUtcNow();
        Assert.True(await audited.DeleteAsync("balance"));
        versions.Add(store.CurrentVersion);

        var history = await audited.GetHistoryAsync("balance");
        Assert.Equal(3, history.Count);
        Assert.True(history[0].IsDeleted);
        Assert.Equal(deletedAt, history[0].ChangedAt);
        Assert.Equal([versions[5], versions[4], versions[3]], history.Select(h => h.Version));
        Assert.Equal(500, history[1].As<int>());
        Assert.Equal(400, history[2].As<int>());
        Assert.Equal("(deleted)", history[0].ToString());

        Assert.Single(await audited.GetHistoryAsync("doc"));
        await store.For(StateScope.Step("audited", "pay")).SetAsync("receipt", "r-1"); // child scopes inherit
        Assert.Single(await store.For(StateScope.Step("audited", "pay")).GetHistoryAsync("receipt"));
        await store.For(StateScope.Workflow("other")).SetAsync("balance", 1);
        Assert.Empty(await store.For(StateScope.Workflow("other")).GetHistoryAsync("balance"));
        Assert.Empty(await store.ReaderFor(StateScope.Workflow("audited")).GetHistoryAsync("missing"));
    }

    [Fact]
    public virtual async Task History_is_not_state_it_is_never_listed_counted_or_exported()
    {
        var store = NewStore(o => o.History[StateScope.Global] = 5);
        await store.SetAsync("k", 1);
        await store.SetAsync("k", 2);
        Assert.Equal(1, await store.CountAsync());
        Assert.Single(await ToListAsync(store.ListAllAsync()));
        using var export = new MemoryStream();
        Assert.Equal(1, await store.ExportAsync(export));
        Assert.Equal(2, (await store.GetHistoryAsync("k")).Count);
    }

    [Fact]
    public virtual void History_depth_below_one_is_refused()
    {
        Assert.ThrowsAny<ArgumentException>(() => NewStore(o => o.History[StateScope.Global] = 0));
    }
}
