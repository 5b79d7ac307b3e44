using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FlowState.Sqlite;

/// <summary>
/// The rows of a query over <c>flowstate_entries</c> (its eight columns in table order), read through SQLite's own API
/// for the scans that read many of them: a store opening reads every row. <see cref="SqliteDataReader"/> looks each
/// column up and converts it through several layers; here a row's text and blob are read where SQLite holds them, a
/// scope that consecutive rows share (scans run in scope order) is decoded once, and the checksum is taken over the
/// stored UTF-8 bytes: the backend's scan of a million rows took 0.68–0.75 s this way, 1.11–1.42 s through the
/// reader. What a row holds is judged by its bytes and their checksum, not by SQLite's type of each column: every
/// native call costs (SQLite takes its connection's mutex in each), and a text read as a blob is the same bytes. Where
/// <see cref="SqliteDirectCalls"/> can be used, the calls go straight to the library.
/// </summary>
internal sealed class SqliteEntryRows : IDisposable
{
    private const int Row = 100; // SQLITE_ROW
    private const int Done = 101; // SQLITE_DONE

    private readonly sqlite3 _database;
    private readonly sqlite3? _ownDatabase;
    private readonly sqlite3_stmt _statement;
    private readonly IntPtr _handle;
    private readonly SqliteDirectCalls? _direct;
    private readonly string _path;
    private string? _scope;
    private byte[] _scopeBytes = [];

    /// <param name="connection">An open connection; it must outlive the rows.</param>
    /// <param name="sql">A query selecting <c>scope, key, value, version, expires_at, ttl, sliding, checksum</c>.</param>
    /// <param name="path">The database file, for errors.</param>
    /// <param name="direct">The direct calls to read rows with; null: through SQLitePCLRaw.</param>
    /// <exception cref="SqliteException">SQLite failed.</exception>
    public SqliteEntryRows(SqliteConnection connection, string sql, string path, SqliteDirectCalls? direct)
        : this(connection.Handle!, null, sql, path, direct)
    {
    }

    private SqliteEntryRows(sqlite3 database, sqlite3? ownDatabase, string sql, string path, SqliteDirectCalls? direct)
    {
        _database = database;
        _ownDatabase = ownDatabase;
        _path = path;
        _direct = direct;
        Check(raw.sqlite3_prepare_v2(_database, sql, out _statement));
        // Owned and disposed by these rows alone, so the pointer stays valid for as long as they are read.
        _handle = _statement.DangerousGetHandle();
    }

    /// <summary>
    /// Rows over a read-only connection of their own, opened without SQLite's connection mutex: SQLite takes it in each
    /// of the twelve calls a row otherwise (its library is built to serialize every connection), about a tenth of an
    /// opening's time. Such a connection must be used by one thread at a time, which rows are; it is closed with them.
    /// </summary>
    /// <returns>
    /// The rows, started; null when SQLite cannot open the file or prepare the query that way: the caller reads through
    /// its own connection, where a real fault of the file shows again.
    /// </returns>
    public static SqliteEntryRows? OverOwnConnection(string path, TimeSpan busyTimeout, string sql, SqliteDirectCalls? direct)
    {
        if (raw.sqlite3_open_v2(path, out var database, raw.SQLITE_OPEN_READONLY | raw.SQLITE_OPEN_NOMUTEX, null) != raw.SQLITE_OK)
        {
            database.Dispose();
            return null;
        }

        try
        {
            raw.sqlite3_busy_timeout(database, (int)Math.Min(int.MaxValue, busyTimeout.TotalMilliseconds));
            var rows = new SqliteEntryRows(database, database, sql, path, direct);
            rows.Start();
            return rows;
        }
        catch (SqliteException)
        {
            // SQLite opens files lazily: what it could not read shows first here.
            database.Dispose();
            return null;
        }
    }

    /// <summary>Runs the query (again) from its first row with <paramref name="parameters"/> bound to ?1, ?2, … in order.</summary>
    /// <exception cref="SqliteException">SQLite failed.</exception>
    public void Start(params string[] parameters)
    {
        Stop();
        for (var i = 0; i < parameters.Length; i++)
        {
            Check(raw.sqlite3_bind_text(_statement, i + 1, parameters[i]));
        }
    }

    /// <summary>Ends the query before its last row: its read of the database ends.</summary>
    public void Stop() => raw.sqlite3_reset(_statement);

    /// <summary>Reads the next row.</summary>
    /// <returns>False after the last row.</returns>
    /// <exception cref="SqliteException">SQLite failed.</exception>
    /// <exception cref="StateCorruptedException">The row does not match its checksum.</exception>
    public bool TryRead([NotNullWhen(true)] out BackendEntry? entry)
    {
        var result = _direct is { } direct ? direct.Step(_handle) : raw.sqlite3_step(_statement);
        if (result != Row)
        {
            if (result != Done)
            {
                SqliteException.ThrowExceptionForRC(result, _database);
            }

            entry = null;
            return false;
        }

        var scopeBytes = Blob(0);
        if (_scope is null || !scopeBytes.SequenceEqual(_scopeBytes))
        {
            _scopeBytes = scopeBytes.ToArray();
            _scope = Encoding.UTF8.GetString(scopeBytes);
        }

        var keyBytes = Blob(1);
        var value = Blob(2);
        var version = Int64(3);
        var expiresAt = Int64(4);
        var ttl = Int64(5);
        var sliding = Int64(6) != 0;
        var key = Encoding.UTF8.GetString(keyBytes);
        if (SqliteEntryChecksum.Compute(_scopeBytes, keyBytes, value, version, expiresAt, ttl, sliding) != Int64(7))
        {
            throw new StateCorruptedException(
                $"SQLite file '{_path}' is damaged: the entry '{key}' of scope '{_scope}' does not match its checksum. Restore the file from a backup.") { Location = _path };
        }

        entry = new BackendEntry(_scope, key, value.ToArray(), version, expiresAt, ttl, sliding);
        return true;
    }

    public void Dispose()
    {
        _statement.Dispose();
        _ownDatabase?.Dispose();
    }

    private ReadOnlySpan<byte> Blob(int column) => _direct is { } direct ? direct.Blob(_handle, column) : raw.sqlite3_column_blob(_statement, column);

    private long Int64(int column) => _direct is { } direct ? direct.Int64(_handle, column) : raw.sqlite3_column_int64(_statement, column);

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(result, _database);
        }
    }
}
