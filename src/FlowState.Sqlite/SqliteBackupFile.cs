using FlowState.Files;
using Microsoft.Data.Sqlite;

namespace FlowState.Sqlite;

/// <summary>
/// A backup of a SQLite store: a compact copy (<c>VACUUM INTO</c>) written under a temporary name, stamped with a
/// completion record (table <c>flowstate_backup</c>: when, how many rows), fsynced, and only then renamed to its name
/// (and the folder fsynced). A backup that was killed midway never has the final name; one that has it is complete,
/// which <see cref="Verify"/> checks before anything is restored from it.
/// </summary>
internal static class SqliteBackupFile
{
    private const long Format = 1;

    public static void Write(string source, TimeSpan busyTimeout, string destination, DateTimeOffset completedAt)
    {
        var temporary = $"{destination}.partial-{Guid.NewGuid():N}";
        try
        {
            var reading = new SqliteConnectionStringBuilder { DataSource = source, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
            using (var reader = new SqliteConnection(reading.ToString()))
            {
                reader.Open();
                using var command = reader.CreateCommand();
                command.CommandText = $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds}; VACUUM INTO $destination;";
                command.Parameters.AddWithValue("$destination", temporary);
                command.ExecuteNonQuery();
            }

            var writing = new SqliteConnectionStringBuilder { DataSource = temporary, Mode = SqliteOpenMode.ReadWrite, Pooling = false };
            using (var copy = new SqliteConnection(writing.ToString()))
            {
                copy.Open();
                using (var journal = copy.CreateCommand())
                {
                    // A backup is one plain file: no WAL beside it to lose when it is copied elsewhere.
                    journal.CommandText = "PRAGMA journal_mode = DELETE;";
                    journal.ExecuteNonQuery();
                }

                using var transaction = copy.BeginTransaction();
                using var stamp = copy.CreateCommand();
                stamp.Transaction = transaction;
                stamp.CommandText =
                    """
                    CREATE TABLE flowstate_backup (format INTEGER NOT NULL, completed_at INTEGER NOT NULL, entries INTEGER NOT NULL, source TEXT NOT NULL);
                    INSERT INTO flowstate_backup SELECT $format, $completed, (SELECT count(*) FROM flowstate_entries) + (SELECT count(*) FROM flowstate_log), $source;
                    """;
                stamp.Parameters.AddWithValue("$format", Format);
                stamp.Parameters.AddWithValue("$completed", completedAt.ToUnixTimeMilliseconds());
                stamp.Parameters.AddWithValue("$source", source);
                stamp.ExecuteNonQuery();
                transaction.Commit();
            }

            using (var file = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, destination, overwrite: false);
            DurableDirectory.Sync(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        }
        catch
        {
            File.Delete(temporary);
            File.Delete(temporary + "-journal");
            throw;
        }
    }

    /// <exception cref="StateCorruptedException">The file is not a complete FlowState backup (why, and what to do).</exception>
    public static StateBackupInfo Verify(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no backup file '{path}'.", path);
        }

        foreach (var leftover in new[] { path + "-journal", path + "-wal" })
        {
            if (File.Exists(leftover))
            {
                throw NotABackup(path, $"it has an unfinished transaction ('{Path.GetFileName(leftover)}' beside it), so it was copied or written while in use");
            }
        }

        // Read-only and immutable: SQLite neither writes to the file nor looks for a journal to roll back.
        var builder = new SqliteConnectionStringBuilder { DataSource = new Uri(Path.GetFullPath(path)).AbsoluteUri + "?immutable=1", Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        try
        {
            using var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('flowstate_backup', 'flowstate_entries', 'flowstate_log', 'flowstate_schema');";
            var tables = (long)command.ExecuteScalar()!;
            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'flowstate_backup';";
            if ((long)command.ExecuteScalar()! == 0)
            {
                throw NotABackup(path, tables > 0 ? "it is a FlowState store, not a backup (take one with 'flowstate backup copy')" : "it holds no FlowState backup record");
            }

            if (tables != 4)
            {
                throw NotABackup(path, "some of FlowState's tables are missing");
            }

            command.CommandText = "SELECT format, completed_at, entries, source FROM flowstate_backup;";
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read() || reader.GetInt64(0) != Format)
                {
                    throw NotABackup(path, "its backup record is missing or of an unknown format");
                }

                var info = new StateBackupInfo(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetInt64(2), reader.GetString(3));
                reader.Close();
                command.CommandText = "PRAGMA quick_check;";
                if (command.ExecuteScalar() as string is not "ok" and var problem)
                {
                    throw NotABackup(path, $"SQLite finds it damaged ({problem})");
                }

                command.CommandText = "SELECT (SELECT count(*) FROM flowstate_entries) + (SELECT count(*) FROM flowstate_log);";
                var rows = (long)command.ExecuteScalar()!;
                if (rows != info.Entries)
                {
                    throw NotABackup(path, $"it holds {rows} rows where its backup record says {info.Entries}");
                }

                return info;
            }
        }
        catch (SqliteException ex)
        {
            throw new StateCorruptedException($"'{path}' is not a complete FlowState backup: SQLite cannot read it ({ex.Message}). Take a new backup, or restore an older one.", ex) { Location = path };
        }
    }

    private static StateCorruptedException NotABackup(string path, string why) =>
        new($"'{path}' is not a complete FlowState backup: {why}. Take a new backup with 'flowstate backup copy', or restore an older one.");
}
