using Microsoft.Data.Sqlite;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>A store file whose row was changed by someone else than the store, for the corruption and typing tests.</summary>
internal static class SqliteFileChangedBehindTheStore
{
    /// <summary>
    /// Writes <c>balance = 100</c> through a store at <paramref name="path"/>, closes it, then runs <paramref name="sql"/>
    /// (which must change exactly one row) on the file through a plain SQLite connection.
    /// </summary>
    public static async Task<string> BalanceAsync(string path, string sql)
    {
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
        {
            await store.SetAsync("balance", 100);
        }

        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, command.ExecuteNonQuery());
        return path;
    }
}
