using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FlowState.Sqlite;

/// <summary>
/// The upsert and delete a fold runs for every key, prepared once on the fold connection and bound by position through
/// SQLite's own API. <see cref="SqliteCommand.ExecuteNonQuery"/> looks every parameter up by name and checks the
/// command on each call, which measured about a third of a fold's time per row here.
/// </summary>
internal sealed class SqliteFoldStatements : IDisposable
{
    private const int Done = 101; // SQLITE_DONE

    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _upsert;
    private readonly sqlite3_stmt _delete;

    public SqliteFoldStatements(SqliteConnection connection)
    {
        _database = connection.Handle!;
        _upsert = Prepare(
            "INSERT INTO flowstate_entries (scope, key, value, version, expires_at, ttl, sliding, checksum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) " +
            "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at, ttl = excluded.ttl, sliding = excluded.sliding, checksum = excluded.checksum;");
        try
        {
            _delete = Prepare("DELETE FROM flowstate_entries WHERE scope = ?1 AND key = ?2;");
        }
        catch
        {
            _upsert.Dispose();
            throw;
        }
    }

    /// <exception cref="SqliteException">SQLite failed.</exception>
    public void Upsert(string scope, string key, byte[] value, long version, long expiresAt, long ttl, bool sliding, long checksum)
    {
        Check(raw.sqlite3_bind_text(_upsert, 1, scope));
        Check(raw.sqlite3_bind_text(_upsert, 2, key));
        Check(raw.sqlite3_bind_blob(_upsert, 3, value));
        Check(raw.sqlite3_bind_int64(_upsert, 4, version));
        Check(raw.sqlite3_bind_int64(_upsert, 5, expiresAt));
        Check(raw.sqlite3_bind_int64(_upsert, 6, ttl));
        Check(raw.sqlite3_bind_int64(_upsert, 7, sliding ? 1 : 0));
        Check(raw.sqlite3_bind_int64(_upsert, 8, checksum));
        Step(_upsert);
    }

    /// <exception cref="SqliteException">SQLite failed.</exception>
    public void Delete(string scope, string key)
    {
        Check(raw.sqlite3_bind_text(_delete, 1, scope));
        Check(raw.sqlite3_bind_text(_delete, 2, key));
        Step(_delete);
    }

    public void Dispose()
    {
        _upsert.Dispose();
        _delete.Dispose();
    }

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_database, sql, out var statement));
        return statement;
    }

    private void Step(sqlite3_stmt statement)
    {
        var result = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (result != Done)
        {
            SqliteException.ThrowExceptionForRC(result, _database);
        }
    }

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(result, _database);
        }
    }
}
