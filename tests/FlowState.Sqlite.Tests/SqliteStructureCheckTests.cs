using System.Buffers.Binary;
using System.Security.Cryptography;
using FlowState.Conformance;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// SQLite's structure check of an opening runs beside the opening's scan: a damaged file still fails the opening, and
/// nothing is written into it meanwhile.
/// </summary>
public sealed class SqliteStructureCheckTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Damage_only_the_check_finds_fails_the_opening_and_the_logged_commits_stay_out_of_the_file()
    {
        var path = _directory.File("store.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            for (var i = 0; i < 3000; i++)
            {
                await store.SetAsync("k" + i, new string('x', 200));
            }
        }

        // Deleted rows leave free pages behind (the file does not shrink): the list of them is damaged below.
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            for (var i = 0; i < 2900; i++)
            {
                await store.DeleteAsync("k" + i);
            }
        }

        // A crash image whose last commit is in FlowState's log file only: closing a store folds it into the database.
        var copy = _directory.File("copy.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            await store.SetAsync("late", 1);
            SqliteCorruptionTests.CopyFiles(path, copy);
        }

        var undamaged = DamageFreeList(copy);
        var before = Fingerprint(copy);

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(copy) }));

        Assert.Contains("is damaged", ex.Message, StringComparison.Ordinal);
        Assert.Equal(copy, ex.Location);
        Assert.Equal(before, Fingerprint(copy));

        // Mended, the file opens with every commit, the logged one too.
        undamaged();
        await using var mended = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(copy) });
        Assert.Equal(1, await mended.GetAsync<int>("late"));
        Assert.True(await mended.ExistsAsync("k2999"));
        Assert.False(await mended.ExistsAsync("k0"));
    }

    [Fact]
    public async Task A_sound_file_passes_the_check_on_a_connection_of_its_own()
    {
        var path = _directory.File("sound.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            await store.SetAsync("k", 1);
        }

        var check = SqliteStructureCheck.Start(path, TimeSpan.FromSeconds(5));

        Assert.NotNull(check);
        check.ThrowIfDamaged();
    }

    [Fact]
    public void A_file_SQLite_cannot_read_gets_no_check_of_its_own_so_the_opening_checks_on_its_connection()
    {
        // SQLite opens lazily: the refusal must show when the check starts, not later on its thread.
        var path = _directory.File("garbage.db");
        File.WriteAllBytes(path, Enumerable.Range(0, 8192).Select(i => (byte)(i * 31)).ToArray());

        Assert.Null(SqliteStructureCheck.Start(path, TimeSpan.FromSeconds(5)));
    }

    /// <summary>Gives the first trunk page of the free list more leaves than a page can hold (the rows are untouched).</summary>
    /// <returns>What puts the bytes back.</returns>
    private static Action DamageFreeList(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var header = new byte[100];
        file.ReadExactly(header);
        var pageSize = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(16));
        var trunk = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(32));
        Assert.True(trunk != 0, "the test needs free pages");
        var position = ((trunk - 1) * (long)pageSize) + 4;
        var original = new byte[4];
        file.Position = position;
        file.ReadExactly(original);
        var count = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(count, 0x00FF_FFFF);
        file.Position = position;
        file.Write(count);
        return () =>
        {
            using var mending = new FileStream(path, FileMode.Open, FileAccess.Write);
            mending.Position = position;
            mending.Write(original);
        };
    }

    private static string Fingerprint(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
