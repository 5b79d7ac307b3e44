using System.Runtime.InteropServices;
using FlowState.Conformance;
using Microsoft.Data.Sqlite;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// How an opening reads its rows: straight from the SQLite library (the rows SQLitePCLRaw reads, and only from the library
/// instance SQLitePCLRaw itself uses), over a read-only connection of their own without SQLite's connection mutex.
/// </summary>
public sealed class SqliteEntryRowsTests : IDisposable
{
    private const string AllRows = "SELECT scope, key, value, version, expires_at, ttl, sliding, checksum FROM flowstate_entries ORDER BY scope, key;";

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void The_library_SQLitePCLRaw_loaded_is_called_directly()
    {
        // Every SQLite test of this suite then reads its rows the direct way: the fallback is covered below.
        Assert.NotNull(SqliteDirectCalls.Shared);
    }

    [Fact]
    public void A_second_copy_of_the_library_is_not_called_directly()
    {
        var loaded = NativeLibrary.Load("e_sqlite3", typeof(SqliteDirectCalls).Assembly, null);
        // The test output holds the library of every platform the package ships; this process loaded its own.
        var platform = $"linux-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
        var candidates = Directory.GetFiles(AppContext.BaseDirectory, "libe_sqlite3.so", SearchOption.AllDirectories);
        var original = candidates.Length == 1 ? candidates[0] : candidates.First(file => file.Contains(platform + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        var copy = _directory.File("libe_sqlite3.so");
        File.Copy(original, copy);
        var second = NativeLibrary.Load(copy);
        try
        {
            Assert.NotNull(SqliteDirectCalls.From(loaded));
            Assert.Null(SqliteDirectCalls.From(second));
        }
        finally
        {
            NativeLibrary.Free(second);
        }
    }

    [Fact]
    public async Task Rows_read_directly_are_the_rows_read_through_SQLitePCLRaw()
    {
        var path = _directory.File("rows.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            await store.SetAsync("plain", 1);
            await store.SetAsync("sn\u00f6-\u2603", "v\u00e4lue");
            await store.SetAsync("large", new string('x', 5_000));
            await store.For(StateScope.Step("w\u00e9", "s")).SetAsync("step", new { done = true }, new StateWriteOptions { TimeToLive = TimeSpan.FromHours(1), SlidingExpiration = true });
        }

        var direct = ReadAll(path, SqliteDirectCalls.Shared ?? throw new InvalidOperationException("no direct calls here"));
        var throughSqlitePclRaw = ReadAll(path, null);

        Assert.Equal(4, direct.Count);
        Assert.Equal(throughSqlitePclRaw.Count, direct.Count);
        for (var i = 0; i < direct.Count; i++)
        {
            Assert.Equal(throughSqlitePclRaw[i] with { Value = [] }, direct[i] with { Value = [] });
            Assert.Equal(throughSqlitePclRaw[i].Value, direct[i].Value);
        }

        Assert.Contains(direct, entry => entry.Key == "step" && entry.Sliding && entry.TimeToLiveTicks == TimeSpan.FromHours(1).Ticks);
        Assert.Contains(direct, entry => entry.Key == "large" && entry.Value.Length > 5_000);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_row_that_fails_its_checksum_is_a_corruption_error_either_way(bool directly)
    {
        var path = await SqliteFileChangedBehindTheStore.BalanceAsync(
            _directory.File($"tampered-{directly}.db"), "UPDATE flowstate_entries SET value = CAST('900' AS BLOB) WHERE key = 'balance';");

        var ex = Assert.Throws<StateCorruptedException>(() => ReadAll(path, directly ? SqliteDirectCalls.Shared : null));
        Assert.Contains("'balance'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_over_a_connection_of_their_own_are_the_rows_read_through_the_store_s_connection()
    {
        var path = _directory.File("own.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            for (var i = 0; i < 50; i++)
            {
                await store.For(StateScope.Workflow("run-" + (i % 5))).SetAsync("k" + i, new { i });
            }
        }

        var throughConnection = ReadAll(path, SqliteDirectCalls.Shared);
        List<BackendEntry> own;
        using (var rows = SqliteEntryRows.OverOwnConnection(path, TimeSpan.FromSeconds(5), AllRows, SqliteDirectCalls.Shared))
        {
            Assert.NotNull(rows);
            own = Drain(rows);
        }

        Assert.Equal(50, own.Count);
        Assert.Equal(throughConnection.Select(e => (e.ScopeKey, e.Key, e.Version, Convert.ToHexString(e.Value))), own.Select(e => (e.ScopeKey, e.Key, e.Version, Convert.ToHexString(e.Value))));
    }

    [Fact]
    public void A_file_SQLite_cannot_open_read_only_gives_no_rows_of_their_own()
    {
        Assert.Null(SqliteEntryRows.OverOwnConnection(_directory.File("missing.db"), TimeSpan.FromSeconds(5), AllRows, SqliteDirectCalls.Shared));
        Assert.False(File.Exists(_directory.File("missing.db")));
    }

    [Fact]
    public async Task A_file_SQLite_opens_but_cannot_read_gives_no_rows_of_their_own()
    {
        // SQLite opens lazily: a file that is no database opens, and fails when the query is prepared.
        var path = _directory.File("garbage.db");
        await File.WriteAllBytesAsync(path, Enumerable.Range(0, 8192).Select(i => (byte)(i * 31)).ToArray());

        Assert.Null(SqliteEntryRows.OverOwnConnection(path, TimeSpan.FromSeconds(5), AllRows, SqliteDirectCalls.Shared));
    }

    /// <summary>Every row of the file at <paramref name="path"/>, read through a connection of Microsoft.Data.Sqlite.</summary>
    private static List<BackendEntry> ReadAll(string path, SqliteDirectCalls? direct)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var rows = new SqliteEntryRows(connection, AllRows, path, direct);
        rows.Start();
        return Drain(rows);
    }

    private static List<BackendEntry> Drain(SqliteEntryRows rows)
    {
        var entries = new List<BackendEntry>();
        while (rows.TryRead(out var entry))
        {
            entries.Add(entry);
        }

        return entries;
    }
}
