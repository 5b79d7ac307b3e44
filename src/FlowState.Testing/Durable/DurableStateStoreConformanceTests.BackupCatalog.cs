using Xunit;

namespace FlowState.Testing;

// The backup catalog on this backend: full and incremental backups, restores of every point, dry runs, restores that
// survive a reopen and reach another backend through the portable format.
public abstract partial class DurableStateStoreConformanceTests
{
    [Fact]
    public virtual async Task Backup_catalog_restores_every_point_of_a_full_and_incremental_chain_exactly()
    {
        using var folder = new TemporaryDirectory();
        var catalog = new StateBackupCatalog(folder.File("catalog"), Clock);
        await using var store = await OpenAsync("catalog-chain");
        var run = store.For(StateScope.Workflow("w1"));
        for (var i = 0; i < 100; i++)
        {
            await run.SetAsync($"k{i}", new { i, text = "first" });
        }

        await store.SetAsync("expires", "soon", new StateWriteOptions { TimeToLive = TimeSpan.FromHours(1) });
        var full = await catalog.CreateAsync(store);
        var atFull = await StoreSnapshot.TakeValuesAsync(store);

        for (var i = 0; i < 10; i++)
        {
            await run.SetAsync($"k{i}", new { i, text = "second" });
        }

        for (var i = 90; i < 100; i++)
        {
            await run.DeleteAsync($"k{i}");
        }

        await store.For(StateScope.Step("w1", "s")).SetAsync("added", true);
        var second = await catalog.CreateAsync(store);
        var atSecond = await StoreSnapshot.TakeValuesAsync(store);

        await run.DeleteAsync("k0");
        await run.SetAsync("k50", "third");
        var third = await catalog.CreateAsync(store);
        var atThird = await StoreSnapshot.TakeValuesAsync(store);

        Assert.Equal((StateBackupKind.Full, 101L, 0L), (full.Kind, full.Entries, full.Deletions));
        Assert.Equal((StateBackupKind.Incremental, full.Id, 11L, 10L, 92L), (second.Kind, second.BaseId, second.Entries, second.Deletions, second.LiveEntries));
        Assert.Equal((second.Id, 1L, 1L), (third.BaseId, third.Entries, third.Deletions));
        Assert.True(second.Bytes < full.Bytes / 4, $"the incremental backup is {second.Bytes} bytes, the full one {full.Bytes}");

        var restored = await catalog.RestoreAsync(store, StateRestorePoint.Backup(full.Id));
        Assert.Equal(atFull, await StoreSnapshot.TakeValuesAsync(store));
        Assert.Equal((11L, 10L, 1L), (restored.Plan.Added, restored.Plan.Changed, restored.Plan.Removed)); // k0 and k90-99 back, k1-9 and k50 "first", "added" removed
        Assert.Equal(StateBackupKind.Incremental, restored.SafetyBackup!.Kind);

        await catalog.RestoreAsync(store, StateRestorePoint.Backup(second.Id));
        Assert.Equal(atSecond, await StoreSnapshot.TakeValuesAsync(store));
        await catalog.RestoreAsync(store, StateRestorePoint.AtVersion(third.Version));
        Assert.Equal(atThird, await StoreSnapshot.TakeValuesAsync(store));
        await catalog.RestoreAsync(store, StateRestorePoint.Backup(restored.SafetyBackup.Id));
        Assert.Equal(atThird, await StoreSnapshot.TakeValuesAsync(store));
        Assert.All(await catalog.VerifyAsync(), check => Assert.True(check.Intact, check.Problem));
    }

    [Fact]
    public virtual async Task Backup_catalog_restore_survives_a_reopen_and_reaches_a_store_on_another_backend()
    {
        using var folder = new TemporaryDirectory();
        var catalog = new StateBackupCatalog(folder.File("catalog"), Clock);
        Dictionary<string, string> backedUp;
        await using (var store = await OpenAsync("catalog-reopen"))
        {
            await store.For(StateScope.Workflow("w")).SetAsync("a", 1);
            await store.SetAsync("b", new[] { 1, 2 });
            await catalog.CreateAsync(store);
            backedUp = await StoreSnapshot.TakeValuesAsync(store);
            await store.SetAsync("b", "changed");
            await store.SetAsync("c", 3);
            await catalog.RestoreAsync(store, StateRestorePoint.Backup(1));
        }

        await using (var reopened = await OpenAsync("catalog-reopen"))
        {
            Assert.Equal(backedUp, await StoreSnapshot.TakeValuesAsync(reopened));
        }

        await using var inMemory = new StateStore(new StateStoreOptions { TimeProvider = Clock });
        await catalog.RestoreAsync(inMemory, StateRestorePoint.Backup(1), backUpCurrentState: false);
        Assert.Equal(backedUp, await StoreSnapshot.TakeValuesAsync(inMemory));
    }

    [Fact]
    public virtual async Task Backup_catalog_dry_run_names_every_change_and_writes_nothing()
    {
        using var folder = new TemporaryDirectory();
        var catalog = new StateBackupCatalog(folder.File("catalog"), Clock);
        await using var store = await OpenAsync("catalog-dry-run");
        await store.SetAsync("same", 1);
        await store.SetAsync("changed", 1);
        await store.SetAsync("removed-since", 1);
        await catalog.CreateAsync(store);
        await store.SetAsync("changed", 2);
        await store.DeleteAsync("removed-since");
        await store.SetAsync("added-since", 1);
        var before = await StoreSnapshot.TakeAsync(store);

        var plan = await catalog.PlanRestoreAsync(store, StateRestorePoint.Latest);

        Assert.Equal(
            [("added-since", StateRestoreChangeKind.Removed), ("changed", StateRestoreChangeKind.Changed), ("removed-since", StateRestoreChangeKind.Added)],
            plan.Changes.Select(change => (change.Key, change.Kind)));
        Assert.Equal(1, plan.Unchanged);
        Assert.Equal(before, await StoreSnapshot.TakeAsync(store));
        Assert.Single(await catalog.ListAsync());
    }
}
