using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    [Fact]
    public virtual async Task Transaction_writes_across_scopes_commit_together_and_are_invisible_before()
    {
        var store = NewStore();
        var tx = store.BeginTransaction();
        var accounts = tx.For(StateScope.Custom("accounts"));
        await store.For(StateScope.Custom("accounts")).SetAsync("alice", 100);

        await accounts.UpdateAsync<int>("alice", n => n - 30);
        await accounts.UpdateAsync<int>("bob", n => n + 30);
        await tx.Global.SetAsync("transfers", 1);

        Assert.Equal(70, await accounts.GetAsync<int>("alice"));
        Assert.Equal(100, await store.For(StateScope.Custom("accounts")).GetAsync<int>("alice"));
        Assert.False(await store.ExistsAsync("transfers"));
        Assert.Equal(3, tx.PendingOperations);
        var version = await tx.CommitAsync();

        Assert.True(tx.IsCommitted);
        Assert.Equal(version, (await store.For(StateScope.Custom("accounts")).GetEntryAsync("bob"))!.Version);
        Assert.Equal(70, await store.For(StateScope.Custom("accounts")).GetAsync<int>("alice"));
        Assert.Equal(30, await store.For(StateScope.Custom("accounts")).GetAsync<int>("bob"));
        Assert.Equal(1, await store.GetAsync<int>("transfers"));
    }

    [Fact]
    public virtual async Task Transaction_whose_read_key_changed_meanwhile_commits_nothing()
    {
        var store = NewStore();
        await store.SetAsync("counter", 1);
        var tx = store.BeginTransaction();
        await tx.Global.UpdateAsync<int>("counter", n => n + 1);
        await tx.Global.SetAsync("other", true);

        await store.SetAsync("counter", 10);

        await Assert.ThrowsAsync<StateConflictException>(async () => await tx.CommitAsync());
        Assert.False(tx.IsCommitted);
        Assert.Equal(10, await store.GetAsync<int>("counter"));
        Assert.False(await store.ExistsAsync("other"));
    }

    [Fact]
    public virtual async Task Committed_transaction_takes_no_more_writes_and_cannot_commit_twice()
    {
        var store = NewStore();
        var tx = store.BeginTransaction();
        await tx.Global.SetAsync("a", 1);
        await tx.CommitAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await tx.Global.SetAsync("b", 2));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await tx.CommitAsync());
        Assert.False(await store.ExistsAsync("b"));
    }

    [Fact]
    public virtual async Task Empty_transaction_commits_without_a_write()
    {
        var store = NewStore();
        await store.SetAsync("a", 1);

        var version = await store.BeginTransaction().CommitAsync();

        Assert.Equal(store.CurrentVersion, version);
    }

    [Fact]
    public virtual async Task Transaction_lists_and_clears_what_the_store_holds_runtime_scopes_included()
    {
        var store = NewStore();
        var run = StateScope.Workflow("tx-run");
        await store.For(run).SetAsync("field", 1);
        await store.For(run.ChildOfKind(ScopeSegmentKind.Runtime, "flow")).SetAsync("run", 2);
        var tx = store.BeginTransaction();

        Assert.Equal(await store.For(run).CountAsync(), await tx.For(run).CountAsync());
        Assert.Equal(2, await tx.For(run).ClearAsync());
        await tx.CommitAsync();

        Assert.Equal(0, await store.For(run).CountAsync());
    }

    [Fact]
    public virtual async Task Transaction_clears_a_scope_only_with_its_own_staged_writes()
    {
        var store = NewStore();
        var run = StateScope.Workflow("tx-own");
        await store.For(run).SetAsync("committed", 1);
        await store.For(StateScope.Step("tx-own", "s")).SetAsync("child", 2);
        var tx = store.BeginTransaction();
        await tx.For(run).SetAsync("staged", 3);

        Assert.Equal(2, await tx.For(run).ClearAsync(StateClearExtent.ScopeOnly));
        await tx.CommitAsync();

        Assert.Empty(await ToListAsync(store.For(run).ListKeysAsync()));
        Assert.Equal(2, await store.For(StateScope.Step("tx-own", "s")).GetAsync<int>("child"));
    }
}
