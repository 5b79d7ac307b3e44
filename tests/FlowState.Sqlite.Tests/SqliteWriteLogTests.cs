using FlowState.Conformance;
using Microsoft.Data.Sqlite;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// Commits are appended to the write-ahead log files beside the database; a fold moves a sealed file's changes into the
/// entries table in the background; closing folds everything and removes the files; a crash leaves them for the next
/// open, which replays them up to a torn tail and refuses damage that later records show was on disk.
/// </summary>
public sealed class SqliteWriteLogTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static SqliteStateBackend Backend(string path, int foldThreshold = 1_000_000) =>
        new(new SqliteStateBackendOptions { Path = path, FoldThreshold = foldThreshold });

    private static Task<StateStore> OpenAsync(string path, int foldThreshold = 1_000_000, Durability durability = Durability.Machine) =>
        StateStore.OpenAsync(new StateStoreOptions { Backend = Backend(path, foldThreshold), Durability = durability });

    /// <summary>A commit of <paramref name="count"/> changes.</summary>
    private static Task<long> BatchAsync(StateStore store, int count, string prefix = "batch") =>
        store.For(StateScope.Global).ApplyAsync(Enumerable.Range(0, count).Aggregate(new StateBatch(), (batch, i) => batch.Set($"{prefix}{i}", i))).AsTask();

    private static string LogFile(string path, int index) => SqliteWriteAheadLog.FilePath(path, index);

    private static IReadOnlyList<SqliteLogRecord> Records(string path, long after) =>
        SqliteWriteAheadLog.Read(path, SqliteStateBackend.ReadLogId(path)!.Value).After(after, strict: true).Records;

    /// <summary>The files of the log records not folded into the database yet, in order.</summary>
    private static List<int> Unfolded(string path)
    {
        var folded = Scalar(path, "SELECT coalesce((SELECT version FROM flowstate_schema WHERE name = 'log_folded'), 0);");
        return [.. Records(path, folded).Select(record => record.File)];
    }

    private static long Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static long Entries(string path) => Scalar(path, "SELECT count(*) FROM flowstate_entries;");

    /// <summary>The files as a crash would leave them: copied while the store that wrote them is still open.</summary>
    private string CrashCopy(string path, string name)
    {
        var copy = _directory.File(name);
        SqliteCorruptionTests.CopyFiles(path, copy);
        return copy;
    }

    [Fact]
    public async Task Commits_go_to_the_log_files_and_closing_folds_them_and_removes_the_files()
    {
        var path = _directory.File("log.db");
        await using (var store = await OpenAsync(path))
        {
            await store.SetAsync("alone", 0);
            await BatchAsync(store, 10);
            await store.SetAsync("a", 1);
            await store.SetAsync("b", 2);
            await store.SetAsync("a", 3);
            await store.DeleteAsync("b");

            Assert.Equal(0, Entries(path));
            Assert.Equal(Enumerable.Repeat(0, 6), Unfolded(path));
            Assert.Equal(0, new FileInfo(LogFile(path, 1)).Length);
        }

        Assert.False(File.Exists(LogFile(path, 0)));
        Assert.False(File.Exists(LogFile(path, 1)));
        Assert.Equal(12 + 1, Entries(path)); // and the version record of the group with the delete
        await using var reopened = await OpenAsync(path);
        Assert.Equal(3, await reopened.GetAsync<int>("a"));
        Assert.False(await reopened.ExistsAsync("b"));
        Assert.Equal(9, await reopened.GetAsync<int>("batch9"));
    }

    [Fact]
    public async Task At_the_threshold_a_fold_runs_in_the_background_and_the_other_file_takes_the_commits()
    {
        var path = _directory.File("threshold.db");
        var backend = Backend(path, foldThreshold: 10);
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend });

        await BatchAsync(store, 6, "first");
        Assert.True(backend.FoldInBackground.IsCompleted);
        await BatchAsync(store, 6, "second");
        await backend.FoldInBackground.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(12, Entries(path));
        Assert.Equal(2, Scalar(path, "SELECT version FROM flowstate_schema WHERE name = 'log_folded';"));
        Assert.Empty(Unfolded(path));

        await store.SetAsync("third", 3);
        Assert.Equal([1], Unfolded(path));
        Assert.Equal(12, Entries(path));
    }

    [Fact]
    public async Task Reads_of_keys_in_the_log_are_answered_from_it_before_the_fold()
    {
        var path = _directory.File("reads.db");
        await using var backend = Backend(path);
        await backend.OpenAsync(CancellationToken.None);
        var scope = StateScope.Global.StorageKey;
        await backend.ApplyAsync([BackendChange.Upsert(new BackendEntry(scope, "k", "1"u8.ToArray(), 1, 0, 0, false))], Durability.Machine, CancellationToken.None);
        backend.FoldAll();
        Assert.Equal(1, Entries(path));

        await backend.ApplyAsync([BackendChange.Upsert(new BackendEntry(scope, "k", "2"u8.ToArray(), 2, 0, 0, false))], Durability.Process, CancellationToken.None);
        Assert.Equal("2"u8.ToArray(), (await backend.GetAsync(scope, "k", CancellationToken.None))!.Value);
        await backend.ApplyAsync([BackendChange.Delete(scope, "k")], Durability.Process, CancellationToken.None);
        Assert.Null(await backend.GetAsync(scope, "k", CancellationToken.None));

        // The entries table still holds the first value: the answers came from the log.
        Assert.Equal(1, Entries(path));
        Assert.Null(await backend.GetAsync(scope, "never", CancellationToken.None));
    }

    [Fact]
    public async Task A_scan_merges_the_logged_changes_into_the_database_rows_in_the_database_order()
    {
        var path = _directory.File("scan.db");
        await using var backend = Backend(path);
        await backend.OpenAsync(CancellationToken.None);
        var scope = StateScope.Workflow("run").StorageKey;
        BackendChange Set(string key, string value) => BackendChange.Upsert(new BackendEntry(scope, key, System.Text.Encoding.UTF8.GetBytes(value), 1, 0, 0, false));

        // Keys past U+FFFF (surrogates in .NET) sort after U+E000-U+FFFF in SQLite's UTF-8 order, before them ordinally.
        string[] folded = ["a", "c", "e", "\uE000", "\U0001F600", "z"];
        await backend.ApplyAsync([.. folded.Select(key => Set(key, "old"))], Durability.Process, CancellationToken.None);
        backend.FoldAll();
        await backend.ApplyAsync([Set("b", "new"), Set("c", "new"), BackendChange.Delete(scope, "e"), Set("\uFFFD", "new"), Set("\U0001F600", "new"), Set("zz", "new")], Durability.Process, CancellationToken.None);

        var scanned = await backend.ScanAsync(scope, CancellationToken.None).Select(entry => (entry.Key, System.Text.Encoding.UTF8.GetString(entry.Value))).ToListAsync();

        Assert.Equal(
            [("a", "old"), ("b", "new"), ("c", "new"), ("z", "old"), ("zz", "new"), ("\uE000", "old"), ("\uFFFD", "new"), ("\U0001F600", "new")],
            scanned);
        Assert.Equal(6, Entries(path));
    }

    [Fact]
    public async Task A_log_left_by_a_crash_is_replayed_at_the_next_open_deletes_included()
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

        Assert.Equal(0, Entries(copy));
        var logged = Unfolded(copy).Count;
        await using (var reopened = await OpenAsync(copy))
        {
            Assert.Equal("after", await reopened.GetAsync<string>("kept"));
            Assert.False(await reopened.ExistsAsync("gone"));
            Assert.Equal(2, await reopened.For(StateScope.Workflow("r1")).GetAsync<int>("step"));
            Assert.Equal(4, await reopened.GetAsync<int>("batch4"));

            // Taken back from the log, which the next commits go on after; nothing written to the database for it.
            Assert.Equal(0, Entries(copy));
            await reopened.SetAsync("next", 1);
            Assert.Equal(logged + 1, Unfolded(copy).Count);
        }

        Assert.True(Entries(copy) >= 8);
        await using var again = await OpenAsync(copy);
        Assert.Equal("after", await again.GetAsync<string>("kept"));
        Assert.Equal(1, await again.GetAsync<int>("next"));
    }

    [Theory]
    [InlineData(Durability.Machine)]
    [InlineData(Durability.Process)]
    public async Task A_crash_copy_taken_after_several_folds_opens_with_every_commit(Durability durability)
    {
        var path = _directory.File($"folds-{durability}.db");
        var expected = new Dictionary<string, int>();
        string copy;
        var backend = Backend(path, foldThreshold: 50);
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = durability }))
        {
            for (var i = 0; i < 400; i++)
            {
                var batch = new StateBatch();
                for (var k = 0; k < 1 + (i % 7); k++)
                {
                    var key = $"k{(i * 7 + k) % 40}";
                    batch.Set(key, i);
                    expected[key] = i;
                }

                if (i % 11 == 10)
                {
                    var gone = $"k{i % 40}";
                    batch.Delete(gone);
                    expected.Remove(gone);
                }

                await store.For(StateScope.Global).ApplyAsync(batch);
            }

            // Copied with no fold running: a crash stops every file at one moment, a copy one file after another.
            await backend.FoldInBackground.WaitAsync(TimeSpan.FromSeconds(30));
            copy = CrashCopy(path, $"folds-{durability}-copy.db");
        }

        Assert.True(Scalar(path, "SELECT version FROM flowstate_schema WHERE name = 'log_folded';") > 0);
        await using var reopened = await OpenAsync(copy);
        foreach (var (key, value) in expected)
        {
            Assert.Equal(value, await reopened.GetAsync<int>(key));
        }

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), await reopened.ListKeysAsync().ToListAsync());
    }

    [Fact]
    public async Task A_database_the_structure_check_finds_damaged_is_not_written_to_and_its_log_files_stay()
    {
        // Opening checks the file before it writes: neither the fold of the log's sealed file nor cutting the log files
        // to their records happens to a damaged database's files.
        var path = _directory.File("checked.db");
        await using (var store = await OpenAsync(path))
        {
            for (var i = 0; i < 20; i++)
            {
                await BatchAsync(store, 1_000, $"bulk{i}-");
            }
        }

        var before = _directory.File("checked-before.db");
        SqliteCorruptionTests.CopyFiles(path, before, withLog: false);
        var backend = Backend(path, foldThreshold: 8);
        string copy;
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = Durability.Machine }))
        {
            for (var i = 0; i < 10; i++)
            {
                await BatchAsync(store, 1, $"late{i}-");
            }

            await backend.FoldInBackground.WaitAsync(TimeSpan.FromSeconds(30));
            copy = CrashCopy(path, "checked-copy.db");
        }

        // The database as it was before the sealed file's fold, beside both log files: a crash before the fold was durable.
        File.Delete(copy + "-wal");
        File.Delete(copy + "-shm");
        File.Copy(before, copy, overwrite: true);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 1, 1], Unfolded(copy));
        var bytes = await File.ReadAllBytesAsync(copy);
        var page = bytes.Length / 4096 / 2 * 4096;
        Array.Clear(bytes, page, 4096);
        await File.WriteAllBytesAsync(copy, bytes);
        var files = new[] { copy, LogFile(copy, 0), LogFile(copy, 1) };
        var contents = files.Select(File.ReadAllBytes).ToList();

        await Assert.ThrowsAsync<StateCorruptedException>(() => OpenAsync(copy));

        for (var i = 0; i < files.Length; i++)
        {
            Assert.True(contents[i].AsSpan().SequenceEqual(File.ReadAllBytes(files[i])), $"{files[i]} was written to");
        }

        Assert.True(!File.Exists(copy + "-wal") || new FileInfo(copy + "-wal").Length == 0, "a fold wrote to the damaged database's WAL");
    }

    [Theory]
    [InlineData(Durability.Machine)]
    [InlineData(Durability.Process)]
    public async Task A_record_a_crash_left_half_written_is_dropped_and_everything_before_it_opens(Durability durability)
    {
        var path = _directory.File($"torn-{durability}.db");
        string copy;
        await using (var store = await OpenAsync(path, durability: durability))
        {
            await store.SetAsync("first", 1);
            await store.SetAsync("second", 2);
            await store.SetAsync("last", 3);
            copy = CrashCopy(path, $"torn-{durability}-copy.db");
        }

        // The last record's last bytes as a crash mid-write leaves them (the file is written with zeros ahead).
        var end = Records(copy, 0)[^1].End;
        using (var log = new FileStream(LogFile(copy, 0), FileMode.Open, FileAccess.ReadWrite))
        {
            log.Position = end - 5;
            log.Write(new byte[5]);
        }

        await using var reopened = await OpenAsync(copy);
        Assert.Equal(1, await reopened.GetAsync<int>("first"));
        Assert.Equal(2, await reopened.GetAsync<int>("second"));
        Assert.False(await reopened.ExistsAsync("last"));
    }

    [Fact]
    public async Task A_damaged_record_that_later_synced_records_follow_is_refused_as_corrupted_and_left_as_it_was()
    {
        var path = _directory.File("damaged.db");
        string copy;
        await using (var store = await OpenAsync(path))
        {
            await store.SetAsync("balance", 100);
            await store.SetAsync("other", 1);
            await store.SetAsync("third", 1);
            copy = CrashCopy(path, "damaged-copy.db");
        }

        var file = LogFile(copy, 0);
        var bytes = await File.ReadAllBytesAsync(file);
        var at = bytes.AsSpan().IndexOf("balance"u8);
        Assert.True(at > 0);
        bytes[at] ^= 0x20;
        await File.WriteAllBytesAsync(file, bytes);

        var error = await Assert.ThrowsAsync<StateCorruptedException>(() => OpenAsync(copy));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("later records show it was on disk", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
        Assert.Equal(0, Entries(copy));
    }

    [Fact]
    public async Task Log_files_of_another_database_under_the_same_name_are_never_read_as_its_commits()
    {
        // A crashed store's files; then its database file is deleted, or another store's is put in its place.
        var path = _directory.File("replaced.db");
        await using (var store = await OpenAsync(path))
        {
            for (var i = 0; i < 5; i++)
            {
                await store.SetAsync("old" + i, i);
            }

            SqliteCorruptionTests.CopyFiles(path, _directory.File("replaced-crash.db"));
        }

        var other = _directory.File("other.db");
        await using (var store = await OpenAsync(other))
        {
            await store.SetAsync("other", 2);
        }

        File.Copy(_directory.File("replaced-crash.db.flowstate-log-0"), path + ".flowstate-log-0");
        File.Copy(other, path, overwrite: true);
        File.Delete(path + ".flowstate-mark"); // put in place on purpose (the mark would refuse the older versions)
        await using (var replaced = await OpenAsync(path))
        {
            Assert.Equal(2, await replaced.GetAsync<int>("other"));
            Assert.Equal(1, await replaced.CountAsync());
        }

        File.Delete(path);
        File.Copy(_directory.File("replaced-crash.db.flowstate-log-0"), path + ".flowstate-log-0");
        await using (var fresh = await OpenAsync(path))
        {
            Assert.Equal(0, await fresh.CountAsync());
            Assert.False(File.Exists(path + ".flowstate-log-0") && Records(path, 0).Count > 0);
        }
    }

    [Fact]
    public async Task A_read_only_store_sees_what_an_open_writer_holds_in_its_log()
    {
        var path = _directory.File("shared.db");
        var backend = Backend(path, foldThreshold: 8);
        await using var writer = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend });
        await BatchAsync(writer, 6, "folded");
        await BatchAsync(writer, 6, "sealed");
        await backend.FoldInBackground.WaitAsync(TimeSpan.FromSeconds(30));
        await writer.SetAsync("logged", 7);
        await writer.DeleteAsync("folded0");

        await using var reader = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(new SqliteStateBackendOptions { Path = path, ReadOnly = true }) });

        Assert.Equal(7, await reader.GetAsync<int>("logged"));
        Assert.Equal(5, await reader.GetAsync<int>("sealed5"));
        Assert.Equal(1, await reader.GetAsync<int>("folded1"));
        Assert.False(await reader.ExistsAsync("folded0"));
    }

    [Fact]
    public async Task A_watch_from_outside_sees_every_commit_even_when_a_file_is_written_over()
    {
        var path = _directory.File("watched.db");
        var backend = Backend(path, foldThreshold: 4);
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend });
        var watch = new SqliteLogWatch(path);
        var stamps = new List<string> { watch.Stamp() };

        // Commits a moment apart leave the files' sizes and times as they were; the stamp moves with each one, also
        // after folds hand each file its next turn.
        for (var i = 0; i < 24; i++)
        {
            await store.SetAsync("k" + (i % 3), i);
            await backend.FoldInBackground.WaitAsync(TimeSpan.FromSeconds(30));
            stamps.Add(watch.Stamp());
        }

        Assert.Equal(stamps.Count, stamps.Distinct().Count());
        Assert.True(Scalar(path, "SELECT version FROM flowstate_schema WHERE name = 'log_folded';") >= 16);
    }

    [Fact]
    public async Task A_file_of_schema_version_3_has_its_log_table_folded_and_is_upgraded()
    {
        var path = _directory.File("v3.db");
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
                CREATE TABLE flowstate_log (seq INTEGER PRIMARY KEY, scope TEXT NOT NULL, key TEXT NOT NULL, value BLOB, version INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL, ttl INTEGER NOT NULL, sliding INTEGER NOT NULL, checksum INTEGER NOT NULL);
                INSERT INTO flowstate_schema VALUES ('entries', 3);
                INSERT INTO flowstate_entries VALUES ('', 'k', CAST('7' AS BLOB), 5, 0, 0, 0, $old);
                INSERT INTO flowstate_log (scope, key, value, version, expires_at, ttl, sliding, checksum) VALUES ('', 'k', CAST('8' AS BLOB), 6, 0, 0, 0, $new);
                """;
            command.Parameters.AddWithValue("$old", SqliteEntryChecksum.Compute(string.Empty, "k", "7"u8.ToArray(), 5, 0, 0, false));
            command.Parameters.AddWithValue("$new", SqliteEntryChecksum.Compute(string.Empty, "k", "8"u8.ToArray(), 6, 0, 0, false));
            command.ExecuteNonQuery();
        }

        await using (var store = await OpenAsync(path))
        {
            Assert.Equal(8, await store.GetAsync<int>("k"));
            Assert.Equal(0, Scalar(path, "SELECT count(*) FROM flowstate_log;"));
            Assert.Equal(SqliteStateBackend.SchemaVersion, Scalar(path, "SELECT version FROM flowstate_schema WHERE name = 'entries';"));
            await store.SetAsync("k", 9);
        }

        await using var reopened = await OpenAsync(path);
        Assert.Equal(9, await reopened.GetAsync<int>("k"));
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
        Assert.Equal(SqliteStateBackend.SchemaVersion, Scalar(path, "SELECT version FROM flowstate_schema WHERE name = 'entries';"));
    }
}
