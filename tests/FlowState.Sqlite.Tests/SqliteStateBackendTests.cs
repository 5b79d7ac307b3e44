using FlowState.Conformance;
using Microsoft.Data.Sqlite;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>SQLite-specific behaviour: the file's mode and schema, and files that are not (or no longer) ours.</summary>
public sealed class SqliteStateBackendTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task File_is_in_wal_mode_with_a_versioned_schema()
    {
        var path = _directory.File("mode.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            await store.SetAsync("k", 1);
        }

        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "SELECT version FROM flowstate_schema WHERE name = 'entries';";
        Assert.Equal(SqliteStateBackend.SchemaVersion, command.ExecuteScalar());
        command.CommandText = "SELECT count(*) FROM flowstate_entries;";
        Assert.Equal(1L, command.ExecuteScalar());
    }

    [Fact]
    public async Task A_second_store_on_the_same_file_is_refused_whichever_link_reaches_it()
    {
        var path = _directory.File("linked.db");
        await using var first = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) });
        await first.SetAsync("k", 1);
        var symbolic = _directory.File("symbolic.db");
        File.CreateSymbolicLink(symbolic, path);
        var hard = _directory.File("hard.db");
        using (var ln = System.Diagnostics.Process.Start("ln", [path, hard])!)
        {
            await ln.WaitForExitAsync();
            Assert.Equal(0, ln.ExitCode);
        }

        foreach (var other in new[] { path, symbolic, hard })
        {
            var error = await Assert.ThrowsAsync<StateBackendException>(async () => await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(other) }));
            Assert.Contains("is in use by another FlowState store", error.Message, StringComparison.Ordinal);
        }

        await first.SetAsync("k", 2);
        Assert.Equal(2, await first.GetAsync<int>("k"));
    }

    [Fact]
    public async Task A_missing_folder_is_reported_as_such_not_as_a_store_in_use()
    {
        var path = Path.Combine(_directory.Path, "missing", "store.db");

        var error = await Assert.ThrowsAsync<StateBackendException>(async () => await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }));

        Assert.Contains($"its folder '{Path.GetDirectoryName(path)}' does not exist", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("in use", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_of_a_newer_schema_is_refused_and_left_untouched()
    {
        var path = _directory.File("newer.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            await store.SetAsync("k", 1);
        }

        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE flowstate_schema SET version = 99 WHERE name = 'entries';";
            command.ExecuteNonQuery();
        }

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }));
        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);

        using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        check.Open();
        using var count = check.CreateCommand();
        count.CommandText = "SELECT count(*) FROM flowstate_entries;";
        Assert.Equal(1L, count.ExecuteScalar());
    }

    [Fact]
    public async Task File_that_is_not_a_database_is_a_corruption_error()
    {
        var path = _directory.File("garbage.db");
        await File.WriteAllBytesAsync(path, Enumerable.Range(0, 8192).Select(i => (byte)(i * 31)).ToArray());

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreadable_scope_in_the_file_is_a_corruption_error()
    {
        var path = _directory.File("scope.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            await store.SetAsync("k", 1);
        }

        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO flowstate_entries VALUES ('x-not-a-scope', 'k', X'31', 7, 0, 0, 0, $checksum);";
            command.Parameters.AddWithValue("$checksum", SqliteEntryChecksum.Compute("x-not-a-scope", "k", "1"u8.ToArray(), 7, 0, 0, false));
            command.ExecuteNonQuery();
        }

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }));
        Assert.Contains("x-not-a-scope", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_retyped_as_text_behind_the_store_opens_as_the_same_bytes_its_checksum_covers()
    {
        var path = await BalanceChangedBehindTheStoreAsync("typed.db", "UPDATE flowstate_entries SET value = CAST(value AS TEXT) WHERE key = 'balance';");

        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) });
        Assert.Equal(100, await reopened.GetAsync<int>("balance"));
    }

    [Fact]
    public async Task Row_changed_behind_the_store_fails_its_checksum_naming_file_and_key()
    {
        var path = await BalanceChangedBehindTheStoreAsync("tampered.db", "UPDATE flowstate_entries SET value = CAST('900' AS BLOB) WHERE key = 'balance';");

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'balance'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_of_schema_version_1_is_upgraded_in_place_keeping_its_entries()
    {
        var path = _directory.File("v1.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText =
                """
                PRAGMA journal_mode = WAL;
                CREATE TABLE flowstate_schema (name TEXT PRIMARY KEY, version INTEGER NOT NULL);
                CREATE TABLE flowstate_entries (scope TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, version INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL, ttl INTEGER NOT NULL, sliding INTEGER NOT NULL, PRIMARY KEY (scope, key)) WITHOUT ROWID;
                INSERT INTO flowstate_schema VALUES ('entries', 1);
                INSERT INTO flowstate_entries VALUES ('', 'k', CAST('{"a":1}' AS BLOB), 41, 0, 0, 0);
                """;
            command.ExecuteNonQuery();
        }

        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            Assert.Equal(41, (await store.GetEntryAsync("k"))!.Version);
            await store.SetAsync("k2", 2);
        }

        await using (var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            Assert.Equal("""{"a":1}""", (await reopened.GetEntryAsync("k"))!.ToString());
            Assert.Equal(2, await reopened.GetAsync<int>("k2"));
        }

        using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "SELECT version FROM flowstate_schema WHERE name = 'entries';";
        Assert.Equal(SqliteStateBackend.SchemaVersion, version.ExecuteScalar());
    }

    [Fact]
    public async Task File_held_by_another_store_is_a_backend_error_until_that_store_closes()
    {
        var path = _directory.File("locked.db");
        var first = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) });
        await first.SetAsync("k", 1);

        var ex = await Assert.ThrowsAsync<StateBackendException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        await first.SetAsync("k", 2);
        await first.DisposeAsync();

        await using var second = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) });
        Assert.Equal(2, await second.GetAsync<int>("k"));
    }

    [Fact]
    public async Task Damaged_table_definition_is_a_corruption_error_not_a_sql_error()
    {
        var path = _directory.File("schema-damage.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            await store.SetAsync("k", 1);
        }

        // The CREATE statements are stored as text in page 1: flip one letter of the column name "version".
        var bytes = await File.ReadAllBytesAsync(path);
        var statement = bytes.AsSpan().IndexOf("CREATE TABLE flowstate_entries"u8);
        Assert.True(statement >= 0, "the entries table's definition was not found in the file");
        var column = statement + bytes.AsSpan(statement).IndexOf("version INTEGER"u8);
        bytes[column + 6] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("columns", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entries_without_their_schema_record_are_refused_and_left_untouched()
    {
        var path = _directory.File("no-schema.db");
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            await store.SetAsync("k", 1);
        }

        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE flowstate_schema;";
            drop.ExecuteNonQuery();
        }

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }));
        Assert.Contains("no schema record", ex.Message, StringComparison.Ordinal);

        using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        check.Open();
        using var tables = check.CreateCommand();
        tables.CommandText = "SELECT (SELECT count(*) FROM flowstate_entries), (SELECT count(*) FROM sqlite_master WHERE name = 'flowstate_schema');";
        using var reader = tables.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(1L, reader.GetInt64(0));
        Assert.Equal(0L, reader.GetInt64(1)); // the refused open created nothing
    }

    // A store file holding balance = 100, then changed behind the store by one statement that touches that one row.
    private Task<string> BalanceChangedBehindTheStoreAsync(string name, string sql) =>
        SqliteFileChangedBehindTheStore.BalanceAsync(_directory.File(name), sql);
}
