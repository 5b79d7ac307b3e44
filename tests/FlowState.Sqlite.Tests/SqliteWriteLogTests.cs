using FlowState.Conformance;
using Microsoft.Data.Sqlite;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// Commits of more than a few changes append to the log table (and so does every commit while it holds any); folds
/// move it into the entries table; a crash leaves it for the next open.
/// </summary>
public sealed class SqliteWriteLogTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static Task<StateStore> OpenAsync(string path, int foldThreshold = 1_000_000) =>
        StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(new SqliteStateBackendOptions { Path = path, FoldThreshold = foldThreshold }) });

    /// <summary>A commit big enough to go to the log.</summary>
    private static Task<long> BatchAsync(StateStore store, int count, string prefix = "batch") =>
        store.For(StateScope.Global).ApplyAsync(Enumerable.Range(0, count).Aggregate(new StateBatch(), (batch, i) => batch.Set($"{prefix}{i}", i))).AsTask();

    private static long Count(string path, string table)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table};";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>The files as a crash would leave them: copied while the store that wrote them is still open.</summary>
    private string CrashCopy(string path, string name)
    {
        var copy = _directory.File(name);
        File.Copy(path, copy);
        if (File.Exists(path + "-wal"))
        {
            File.Copy(path + "-wal", copy + "-wal");
        }

        return copy;
    }

    [Fact]
    public async Task Commits_go_to_the_log_and_closing_folds_them_into_the_entries()
    {
        var path = _directory.File("log.db");
        await using (var store = await OpenAsync(path))
        {
            await store.SetAsync("alone", 0);
            Assert.Equal(0, Count(path, "flowstate_log"));
            Assert.Equal(1, Count(path, "flowstate_entries"));

            await BatchAsync(store, 10);
            await store.SetAsync("a", 1);
            await store.SetAsync("b", 2);
            await store.SetAsync("a", 3);
            await store.DeleteAsync("b");
            await store.SetAsync("batch3", 99); // logged too: in place, the fold would bring back the batch's 3

            // The 15 changes, and the version record of the group with the delete.
            Assert.Equal(15 + 1, Count(path, "flowstate_log"));
            Assert.Equal(1, Count(path, "flowstate_entries"));
        }

        Assert.Equal(0, Count(path, "flowstate_log"));
        Assert.Equal(12 + 1, Count(path, "flowstate_entries"));
        await using var reopened = await OpenAsync(path);
        Assert.Equal(3, await reopened.GetAsync<int>("a"));
        Assert.False(await reopened.ExistsAsync("b"));
        Assert.Equal(99, await reopened.GetAsync<int>("batch3"));
    }

    [Fact]
    public async Task The_log_is_folded_when_it_reaches_the_threshold()
    {
        var path = _directory.File("threshold.db");
        await using var store = await OpenAsync(path, foldThreshold: 10);

        await BatchAsync(store, 6, "first");
        Assert.Equal(6, Count(path, "flowstate_log"));
        await BatchAsync(store, 6, "second");

        Assert.Equal(0, Count(path, "flowstate_log"));
        Assert.Equal(12, Count(path, "flowstate_entries"));
    }

    [Fact]
    public async Task A_log_left_by_a_crash_is_folded_at_the_next_open_deletes_included()
    {
        var path = _directory.File("crashed.db");
        string copy;
        await using (var store = await OpenAsync(path))
        {
            await BatchAsync(store, 5);
            await store.SetAsync("kept", "before");
            await store.SetAsync("gone", 1);
            await store.For(StateScope.Workflow("r1")).SetAsync("step", 2);
            await store.DeleteAsync("gone");
            await store.SetAsync("kept", "after");
            copy = CrashCopy(path, "crash-copy.db");
        }

        // The 10 changes, and the version record of the group with the delete.
        Assert.Equal(10 + 1, Count(copy, "flowstate_log"));
        await using (var reopened = await OpenAsync(copy))
        {
            Assert.Equal("after", await reopened.GetAsync<string>("kept"));
            Assert.False(await reopened.ExistsAsync("gone"));
            Assert.Equal(2, await reopened.For(StateScope.Workflow("r1")).GetAsync<int>("step"));
            Assert.Equal(0, Count(copy, "flowstate_log"));
        }
    }

    [Fact]
    public async Task A_damaged_logged_change_is_a_corruption_error_naming_file_and_key()
    {
        var path = _directory.File("damaged.db");
        string copy;
        await using (var store = await OpenAsync(path))
        {
            await BatchAsync(store, 5);
            await store.SetAsync("balance", 100);
            copy = CrashCopy(path, "damaged-copy.db");
        }

        using (var connection = new SqliteConnection($"Data Source={copy};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE flowstate_log SET value = CAST('900' AS BLOB) WHERE key = 'balance';";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var error = await Assert.ThrowsAsync<StateCorruptedException>(() => OpenAsync(copy));

        Assert.Contains(copy, error.Message, StringComparison.Ordinal);
        Assert.Contains("logged change of 'balance'", error.Message, StringComparison.Ordinal);
        Assert.Equal(6, Count(copy, "flowstate_log"));
    }

    [Fact]
    public async Task A_file_of_schema_version_2_gets_its_log_table_and_keeps_its_entries()
    {
        var path = _directory.File("v2.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText =
                """
                PRAGMA journal_mode = WAL;
                CREATE TABLE flowstate_schema (name TEXT PRIMARY KEY, version INTEGER NOT NULL);
                CREATE TABLE flowstate_entries (scope TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, version INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL, ttl INTEGER NOT NULL, sliding INTEGER NOT NULL, checksum INTEGER NOT NULL, PRIMARY KEY (scope, key)) WITHOUT ROWID;
                INSERT INTO flowstate_schema VALUES ('entries', 2);
                INSERT INTO flowstate_entries VALUES ('', 'k', CAST('7' AS BLOB), 5, 0, 0, 0, $checksum);
                """;
            command.Parameters.AddWithValue("$checksum", SqliteEntryChecksum.Compute(string.Empty, "k", "7"u8.ToArray(), 5, 0, 0, false));
            command.ExecuteNonQuery();
        }

        await using (var store = await OpenAsync(path))
        {
            Assert.Equal(7, await store.GetAsync<int>("k"));
            await BatchAsync(store, 5);
            await store.SetAsync("k", 8);
        }

        await using var reopened = await OpenAsync(path);
        Assert.Equal(8, await reopened.GetAsync<int>("k"));
        Assert.Equal(0, Count(path, "flowstate_log"));
    }
}
