using System.Text;
using FlowState.Conformance;
using RocksDbSharp;
using Xunit;

namespace FlowState.RocksDb.Tests;

/// <summary>RocksDB-specific behaviour: the directory's layout and schema, and directories that are not (or no longer) ours.</summary>
public sealed class RocksDbStateBackendTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Every_single_bit_flip_in_CURRENT_is_reported_as_damage_not_as_a_backend_failure()
    {
        var path = _directory.File("current");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) }))
        {
            await store.SetAsync("k", 1);
        }

        var current = Path.Combine(path, "CURRENT");
        var original = await File.ReadAllBytesAsync(current);
        for (var bit = 0; bit < original.Length * 8; bit++)
        {
            var flipped = (byte[])original.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            await File.WriteAllBytesAsync(current, flipped);

            try
            {
                await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) });
                Assert.Equal(1, await reopened.GetAsync<int>("k")); // a flip that still names the same manifest opens whole
            }
            catch (StateException ex)
            {
                Assert.True(ex is StateCorruptedException, $"bit {bit}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        await File.WriteAllBytesAsync(current, original);
    }

    [Fact]
    public async Task Entries_live_in_their_column_family_under_a_prefix_per_scope()
    {
        var path = _directory.File("layout");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) }))
        {
            await store.For(StateScope.Workflow("w")).SetAsync("k", 1);
            await store.For(StateScope.Step("w", "s")).SetAsync("k", 2);
        }

        var keys = new List<byte[]>();
        using (var db = RocksDbSharp.RocksDb.Open(new DbOptions(), path, new ColumnFamilies { { "entries", new ColumnFamilyOptions() } }))
        {
            Assert.Equal("1", Encoding.UTF8.GetString(db.Get(Encoding.UTF8.GetBytes("flowstate.schema"))));
            using var iterator = db.NewIterator(db.GetColumnFamily("entries"));
            for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next())
            {
                keys.Add(iterator.Key());
            }
        }

        Assert.Equal(2, keys.Count);
        var workflow = Encoding.UTF8.GetBytes(StateScope.Workflow("w").StorageKey);
        var step = Encoding.UTF8.GetBytes(StateScope.Step("w", "s").StorageKey);
        Assert.Contains(keys, k => k.SequenceEqual((byte[])[.. workflow, 0, (byte)'k']));
        Assert.Contains(keys, k => k.SequenceEqual((byte[])[.. step, 0, (byte)'k']));
        Assert.True(step.AsSpan().StartsWith(workflow), "a child scope's keys share its parent's prefix");
    }

    [Fact]
    public async Task Scope_and_key_that_concatenate_alike_stay_apart()
    {
        // "Ww/" + "Sx/k" and "Ww/Sx/" + "k" read the same when glued: the zero byte between scope and key keeps them apart.
        var path = _directory.File("injective");
        var glued = StateScope.Step("w", "x").StorageKey[StateScope.Workflow("w").StorageKey.Length..] + "k";
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) }))
        {
            await store.For(StateScope.Workflow("w")).SetAsync(glued, "parent");
            await store.For(StateScope.Step("w", "x")).SetAsync("k", "child");
        }

        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) });
        Assert.Equal("child", await reopened.For(StateScope.Step("w", "x")).GetAsync<string>("k"));
        Assert.Equal("parent", await reopened.For(StateScope.Workflow("w")).GetAsync<string>(glued));
        Assert.Equal(1, await reopened.For(StateScope.Step("w", "x")).CountAsync());
    }

    [Fact]
    public async Task Directory_of_a_newer_schema_is_refused_and_left_untouched()
    {
        var path = _directory.File("newer");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) }))
        {
            await store.SetAsync("k", 1);
        }

        using (var db = RocksDbSharp.RocksDb.Open(new DbOptions(), path, new ColumnFamilies { { "entries", new ColumnFamilyOptions() } }))
        {
            db.Put(Encoding.UTF8.GetBytes("flowstate.schema"), Encoding.UTF8.GetBytes("99"));
        }

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) }));
        Assert.Contains("'99'", ex.Message, StringComparison.Ordinal);

        using var check = RocksDbSharp.RocksDb.Open(new DbOptions(), path, new ColumnFamilies { { "entries", new ColumnFamilyOptions() } });
        using var iterator = check.NewIterator(check.GetColumnFamily("entries"));
        iterator.SeekToFirst();
        Assert.True(iterator.Valid());
    }

    [Fact]
    public async Task Entry_that_is_not_ours_is_a_corruption_error_naming_the_directory()
    {
        var path = _directory.File("foreign");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) }))
        {
            await store.SetAsync("k", 1);
        }

        using (var db = RocksDbSharp.RocksDb.Open(new DbOptions(), path, new ColumnFamilies { { "entries", new ColumnFamilyOptions() } }))
        {
            db.Put([0, 0, 0, 1, (byte)'x'], [9, 9], db.GetColumnFamily("entries"));
        }

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) }));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("format 9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Directory_held_by_another_store_is_a_backend_error()
    {
        var path = _directory.File("locked");
        await using var first = await StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) });
        await first.SetAsync("k", 1);

        var ex = await Assert.ThrowsAsync<StateBackendException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new RocksDbStateBackend(path) }));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, await first.GetAsync<int>("k"));
    }
}
