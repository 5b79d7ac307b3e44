using FlowState.Testing;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// A backup catalog stays consistent through a real kill -9 of the process backing up or restoring: every backup it
/// names is intact and its chain restorable, and a restore killed part way leaves the store wholly as it was or wholly
/// restored (one atomic batch).
/// </summary>
public abstract class BackupCatalogCrashConformanceTests : CrashTestBase
{
    private const int Keys = 20_000;

    [Fact]
    public async Task A_killed_backup_leaves_every_backup_the_catalog_names_intact_and_the_chain_goes_on()
    {
        var store = Directory.File("store");
        var folder = Directory.File("catalog");
        await FillAsync(store, "first");
        var random = new Random(20261206);
        for (var kill = 0; kill < Math.Max(4, Kills / 4); kill++)
        {
            using (var harness = await CrashHarnessProcess.StartAsync(HarnessBackend, store, "catalog", folder, "backup"))
            {
                var backups = random.Next(0, 3);
                if (backups > 0)
                {
                    await harness.WaitForLinesAsync(line => line.StartsWith("BACKUP ", StringComparison.Ordinal), backups, $"{backups} backups");
                }

                await Task.Delay(random.Next(0, 300));
                await harness.KillAsync();
            }

            var catalog = new StateBackupCatalog(folder);
            Assert.All(await catalog.VerifyAsync(), check => Assert.True(check.Intact, $"kill {kill}: backup {check.Id}: {check.Problem}"));
        }

        // The chain the killed processes built goes on, and restores to exactly the store's state.
        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(store) });
        var last = await new StateBackupCatalog(folder).CreateAsync(reopened);
        await using var restored = new StateStore(new StateStoreOptions());
        await new StateBackupCatalog(folder).RestoreAsync(restored, StateRestorePoint.Backup(last.Id), backUpCurrentState: false);
        Assert.Equal(await StoreSnapshot.TakeValuesAsync(reopened), await StoreSnapshot.TakeValuesAsync(restored));
        Assert.True(last.Id > 1, "no backup completed before the kills");
    }

    [Fact]
    public async Task A_killed_restore_leaves_the_store_wholly_as_it_was_or_wholly_restored()
    {
        var store = Directory.File("store");
        var folder = Directory.File("catalog");
        await FillAsync(store, "backed-up");
        Dictionary<string, string> backedUp;
        await using (var opened = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(store) }))
        {
            await new StateBackupCatalog(folder).CreateAsync(opened);
            backedUp = await StoreSnapshot.TakeValuesAsync(opened);
        }

        var changed = await ChangeAllAsync(store, 0);
        var random = new Random(6122026);
        var (before, after) = (0, 0);
        for (var kill = 0; kill < Math.Max(4, Kills / 4); kill++)
        {
            using (var harness = await CrashHarnessProcess.StartAsync(HarnessBackend, store, "catalog", folder, "restore", "1"))
            {
                await Task.Delay(random.Next(0, 800));
                await harness.KillAsync();
            }

            Dictionary<string, string> state;
            await using (var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(store) }))
            {
                state = await StoreSnapshot.TakeValuesAsync(reopened);
            }

            Assert.All(await new StateBackupCatalog(folder).VerifyAsync(), check => Assert.True(check.Intact, $"kill {kill}: backup {check.Id}: {check.Problem}"));
            if (Same(state, backedUp))
            {
                after++;
                changed = await ChangeAllAsync(store, kill + 1);
            }
            else
            {
                Assert.True(Same(state, changed), $"kill {kill}: the store ({state.Count} entries) is neither as it was nor restored");
                before++;
            }
        }

        Assert.True(before + after > 0);
    }

    private async Task FillAsync(string path, string text)
    {
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path) });
        var padding = new string('x', 200);
        var batch = store.CreateBatch();
        for (var i = 0; i < Keys; i++)
        {
            batch.Set($"k{i}", new { text, i, padding });
        }

        await store.ApplyAsync(batch);
    }

    /// <summary>Changes every key, deletes a tenth and adds as many: a restore has to undo all of it.</summary>
    private async Task<Dictionary<string, string>> ChangeAllAsync(string path, int round)
    {
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path) });
        var batch = store.CreateBatch();
        for (var i = 0; i < Keys; i++)
        {
            if (i % 10 == 0)
            {
                batch.Delete($"k{i}");
                batch.Set($"new{i}", round);
            }
            else
            {
                batch.Set($"k{i}", new { text = "changed", round });
            }
        }

        await store.ApplyAsync(batch);
        return await StoreSnapshot.TakeValuesAsync(store);
    }

    private static bool Same(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(entry => b.TryGetValue(entry.Key, out var value) && value == entry.Value);
}
