using Microsoft.Data.Sqlite;

namespace FlowState.Sqlite;

/// <summary>
/// SQLite's <c>quick_check</c> of a store's file, run by an opening: over a read-only connection of its own on another
/// thread where SQLite opens the file that way, so that it reads the pages while the opening's scan reads the rows
/// (the check alone takes a fifth of an opening of a large store); otherwise on the caller's connection, at once.
/// </summary>
internal sealed class SqliteStructureCheck
{
    private readonly Task _running;

    private SqliteStructureCheck(Task running) => _running = running;

    /// <summary>Starts the check over a connection of its own; null when SQLite cannot open the file read-only.</summary>
    public static SqliteStructureCheck? Start(string path, TimeSpan busyTimeout)
    {
        SqliteConnection? connection = null;
        try
        {
            connection = SqliteStateBackend.OpenConnection(path, SqliteOpenMode.ReadOnly, busyTimeout);

            // SQLite opens lazily: a read makes it open the file (and the log beside it) here, where a refusal still
            // lets the caller check on its own connection.
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM sqlite_master;";
            command.ExecuteScalar();
        }
        catch (SqliteException)
        {
            connection?.Dispose();
            return null;
        }

        return new SqliteStructureCheck(Task.Run(
            () =>
            {
                using (connection)
                {
                    Run(connection, path);
                }
            },
            CancellationToken.None));
    }

    /// <summary>Runs the check on <paramref name="connection"/> now.</summary>
    /// <exception cref="StateCorruptedException">SQLite finds the file damaged.</exception>
    /// <exception cref="SqliteException">SQLite could not read the file (it may be no database at all).</exception>
    public static void Run(SqliteConnection connection, string path)
    {
        var problems = new List<string>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA quick_check(5);";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                problems.Add(reader.GetString(0));
            }
        }

        if (problems is not ["ok"])
        {
            throw new StateCorruptedException($"SQLite file '{path}' is damaged: {string.Join("; ", problems)}. Restore it from a backup.") { Location = path };
        }
    }

    /// <summary>Waits for the check (at once when it is over).</summary>
    /// <exception cref="StateCorruptedException">SQLite finds the file damaged.</exception>
    /// <exception cref="SqliteException">SQLite could not read the file.</exception>
    public void ThrowIfDamaged()
    {
        if (!_running.IsCompletedSuccessfully)
        {
            _running.GetAwaiter().GetResult();
        }
    }

    /// <summary>Waits for the check to be over, whatever it finds.</summary>
    public void WaitUntilOver() => _running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
}
