using FlowState.Conformance;
using Microsoft.Data.Sqlite;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>An opening reads the entries over a read-only connection of its own (without SQLite's connection mutex).</summary>
public sealed class SqliteOwnConnectionRowsTests : IDisposable
{
    private const string AllRows = "SELECT scope, key, value, version, expires_at, ttl, sliding, checksum FROM flowstate_entries ORDER BY scope, key;";

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

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

        List<BackendEntry> throughConnection;
        using (var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var rows = new SqliteEntryRows(connection, AllRows, path, SqliteDirectCalls.Shared);
            rows.Start();
            throughConnection = Drain(rows);
        }

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
