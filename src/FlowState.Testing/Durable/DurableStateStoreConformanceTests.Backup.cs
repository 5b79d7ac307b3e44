using Xunit;

namespace FlowState.Testing;

// Online backups: consistent, complete up to the call, taken while writers go on.
public abstract partial class DurableStateStoreConformanceTests
{
    /// <summary>A path for a backup named <paramref name="name"/> that does not exist yet.</summary>
    protected abstract string BackupPath(string name);

    /// <summary>A backend over the storage at <paramref name="path"/> (a backup written by the backend).</summary>
    protected abstract IStateBackend CreateBackendAt(string path);

    [Fact]
    public virtual async Task Backup_taken_under_load_is_consistent_and_holds_every_earlier_write()
    {
        await using var store = await OpenAsync("backup-source");
        for (var i = 0; i < 50; i++)
        {
            var pair = store.For(StateScope.Workflow("pairs"));
            await pair.ApplyAsync(pair.CreateBatch().Set($"a{i}", i).Set($"b{i}", i));
        }

        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var scope = store.For(StateScope.Workflow("pairs"));
            for (var n = 1000 * (w + 1); !stop.IsCancellationRequested; n++)
            {
                var i = n % 50;
                await scope.ApplyAsync(scope.CreateBatch().Set($"a{i}", n).Set($"b{i}", n));
            }
        })).ToArray();

        await store.SetAsync("before-backup", "acknowledged");
        var path = BackupPath("under-load");
        await store.BackupAsync(path);
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        await store.SetAsync("after-backup", 1);

        await using var backup = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackendAt(path) });
        Assert.Equal("acknowledged", await backup.GetAsync<string>("before-backup"));
        Assert.False(await backup.ExistsAsync("after-backup"));
        var pairs = backup.For(StateScope.Workflow("pairs"));
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(await pairs.GetAsync<int>($"a{i}"), await pairs.GetAsync<int>($"b{i}")); // no batch half in the copy
        }
    }

    [Fact]
    public virtual async Task Backup_includes_writes_still_behind_at_durability_none()
    {
        await using var store = await OpenAsync("backup-none", Durability.None);
        for (var i = 0; i < 200; i++)
        {
            await store.SetAsync($"k{i}", i);
        }

        // A large last batch is still being written behind when the backup is asked for.
        var batch = store.CreateBatch();
        for (var i = 0; i < 5000; i++)
        {
            batch.Set($"bulk{i}", i);
        }

        await store.ApplyAsync(batch);
        var path = BackupPath("none");
        await store.BackupAsync(path);
        await using var backup = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackendAt(path) });
        Assert.Equal(5200, await backup.CountAsync());
        Assert.Equal(199, await backup.GetAsync<int>("k199"));
    }

    [Fact]
    public virtual async Task Backup_never_overwrites_an_existing_destination()
    {
        var path = BackupPath("exists");
        await using (var first = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackendAt(path) }))
        {
            await first.SetAsync("precious", 1);
        }

        await using var store = await OpenAsync("backup-exists");
        await store.SetAsync("other", 2);
        await Assert.ThrowsAsync<IOException>(() => store.BackupAsync(path));

        await using var untouched = await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackendAt(path) });
        Assert.Equal(1, await untouched.GetAsync<int>("precious"));
        Assert.False(await untouched.ExistsAsync("other"));
    }

    [Fact]
    public virtual async Task In_memory_store_points_to_export_instead_of_backup()
    {
        await using var store = new StateStore();
        var ex = await Assert.ThrowsAsync<NotSupportedException>(() => store.BackupAsync(BackupPath("memory")));
        Assert.Contains("ExportAsync", ex.Message, StringComparison.Ordinal);
    }
}
