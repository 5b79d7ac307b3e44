using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// A file backend's high-water mark (<see cref="IHighWaterMarkedStateBackend"/>): a storage that comes back older than
/// what it acknowledged is refused, naming the way out; a new store at an old store's path, a mark from before a
/// restart and a damaged mark are not mistaken for it.
/// </summary>
public abstract class HighWaterMarkConformanceTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    /// <summary>A backend over <paramref name="path"/> (a file or a directory, as the backend uses it).</summary>
    protected abstract IStateBackend CreateBackend(string path, bool forReading = false);

    /// <summary>Copies the closed storage at <paramref name="source"/> (every file it consists of) to <paramref name="destination"/>.</summary>
    protected abstract void CopyStorage(string source, string destination);

    /// <summary>Deletes the closed storage at <paramref name="path"/> (every file it consists of).</summary>
    protected abstract void DeleteStorage(string path);

    public void Dispose()
    {
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Store_that_comes_back_older_than_it_acknowledged_is_refused_until_its_mark_is_deleted()
    {
        var (path, acknowledged) = await PutAnOlderCopyInPlaceAsync("store", Durability.Process, keys: 5, async store =>
        {
            await store.For(StateScope.Workflow("a")).DeleteAsync("k0");
            await store.For(StateScope.Workflow("b")).SetAsync("k", 1);
        });
        var markPath = MarkPath(path);

        var refused = await Assert.ThrowsAsync<StateCorruptedException>(() => OpenAsync(path, Durability.Process));
        Assert.Contains("came back older", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"acknowledged version {acknowledged}", refused.Message, StringComparison.Ordinal);
        Assert.Contains(markPath, refused.Message, StringComparison.Ordinal);
        var refusedReading = await Assert.ThrowsAsync<StateCorruptedException>(async () =>
            await StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path, forReading: true) }));
        Assert.Contains("came back older", refusedReading.Message, StringComparison.Ordinal);

        // The way out the message names: the older state was put there on purpose.
        File.Delete(markPath);
        await using var reopened = await OpenAsync(path, Durability.Process);
        Assert.Equal(5, await reopened.For(StateScope.Workflow("a")).ListKeysAsync().CountAsync());
        Assert.False(await reopened.For(StateScope.Workflow("b")).ExistsAsync("k"));
    }

    [Fact]
    public async Task Store_created_anew_at_the_path_of_a_deleted_one_opens_and_takes_over_the_mark()
    {
        var path = _directory.File("recreated");
        await WriteAsync(path, Durability.Process, "old", 20);
        DeleteStorage(path);
        Assert.True(File.Exists(MarkPath(path)));

        await WriteAsync(path, Durability.Process, "new", 2);
        await using var reopened = await OpenAsync(path, Durability.Process);
        Assert.Equal(2, reopened.CurrentVersion);
        Assert.Equal(2, await reopened.For(StateScope.Workflow("new")).ListKeysAsync().CountAsync());
    }

    [Fact]
    public async Task After_a_restart_only_what_was_fsynced_is_required()
    {
        var (path, processAcknowledged) = await PutAnOlderCopyInPlaceAsync(
            "restarted", Durability.Machine, keys: 3, async store => await store.For(StateScope.Workflow("a")).SetAsync("later", 1));
        var markPath = MarkPath(path);
        var mark = StateHighWaterMark.Read(markPath);
        Assert.Equal(new StateHighWaterMark.Snapshot(3, processAcknowledged, mark!.Value.BootId), mark);

        // Power loss may take what was only written at Process: after a restart (another boot) the older store opens.
        var anotherBoot = Guid.NewGuid();
        StateHighWaterMark.WriteFile(markPath, 3, processAcknowledged, anotherBoot);
        await using (var store = await OpenAsync(path, Durability.Process))
        {
            Assert.Equal(3, store.CurrentVersion);
        }

        // What was fsynced must be there whatever happened to the machine.
        StateHighWaterMark.WriteFile(markPath, processAcknowledged, processAcknowledged, anotherBoot);
        await Assert.ThrowsAsync<StateCorruptedException>(() => OpenAsync(path, Durability.Process));
    }

    [Fact]
    public async Task Mark_follows_every_acknowledged_group_and_a_damaged_one_is_ignored()
    {
        var path = _directory.File("followed");
        await using (var store = await OpenAsync(path, Durability.Machine))
        {
            for (var i = 0; i < 4; i++)
            {
                await store.SetAsync("k" + i, i);
                var mark = StateHighWaterMark.Read(MarkPath(path));
                Assert.Equal(store.CurrentVersion, mark!.Value.MachineVersion);
                Assert.Equal(store.CurrentVersion, mark.Value.ProcessVersion);
            }
        }

        await File.WriteAllBytesAsync(MarkPath(path), new byte[48]);
        Assert.Null(StateHighWaterMark.Read(MarkPath(path)));
        await using (var store = await OpenAsync(path, Durability.Process))
        {
            Assert.Equal(4, store.CurrentVersion);
            await store.SetAsync("k9", 9);
        }

        Assert.Equal(5, StateHighWaterMark.Read(MarkPath(path))!.Value.ProcessVersion);
    }

    /// <summary>
    /// Writes <paramref name="keys"/> keys at <paramref name="durability"/>, copies the storage, writes more at
    /// <see cref="Durability.Process"/> (<paramref name="later"/>), then puts the copy back in place of the storage.
    /// </summary>
    /// <returns>The storage's path and the version the store had acknowledged before the copy came back.</returns>
    private async Task<(string Path, long Acknowledged)> PutAnOlderCopyInPlaceAsync(string name, Durability durability, int keys, Func<StateStore, Task> later)
    {
        var path = _directory.File(name);
        var older = _directory.File(name + "-older");
        await WriteAsync(path, durability, "a", keys);
        CopyStorage(path, older);
        long acknowledged;
        await using (var store = await OpenAsync(path, Durability.Process))
        {
            await later(store);
            acknowledged = store.CurrentVersion;
        }

        DeleteStorage(path);
        CopyStorage(older, path);
        return (path, acknowledged);
    }

    private string MarkPath(string path) => ((IHighWaterMarkedStateBackend)CreateBackend(path)).HighWaterMarkPath;

    private Task<StateStore> OpenAsync(string path, Durability durability) =>
        StateStore.OpenAsync(new StateStoreOptions { Backend = CreateBackend(path), Durability = durability });

    private async Task WriteAsync(string path, Durability durability, string workflow, int keys)
    {
        await using var store = await OpenAsync(path, durability);
        for (var i = 0; i < keys; i++)
        {
            await store.For(StateScope.Workflow(workflow)).SetAsync("k" + i, i);
        }
    }
}
