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
        Assert.Equal((long)SqliteStateBackend.SchemaVersion, command.ExecuteScalar());
        command.CommandText = "SELECT count(*) FROM flowstate_entries;";
        Assert.Equal(1L, command.ExecuteScalar());
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
            command.CommandText = "INSERT INTO flowstate_entries VALUES ('x-not-a-scope', 'k', X'31', 7, 0, 0, 0);";
            command.ExecuteNonQuery();
        }

        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }));
        Assert.Contains("x-not-a-scope", ex.Message, StringComparison.Ordinal);
    }
}
