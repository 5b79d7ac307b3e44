using System.Globalization;
using System.Text;
using FlowState.Files;

namespace FlowState.RocksDb;

/// <summary>
/// A backup of a RocksDB store: a RocksDB checkpoint written into a temporary folder, completed by a record file
/// (<c>FLOWSTATE-BACKUP</c>: when, and every file with its size), fsynced, and only then renamed to its name (and the
/// parent folder fsynced). A backup that was stopped midway never has the final name; <see cref="Verify"/> checks the
/// record before anything is restored from it.
/// </summary>
internal static class RocksDbBackupFolder
{
    private const string RecordFile = "FLOWSTATE-BACKUP";
    private const string FormatLine = "flowstate-backup 1";

    public static void Write(RocksDbDatabase db, string source, string destination, DateTimeOffset completedAt)
    {
        var full = Path.GetFullPath(destination);
        var temporary = $"{full}.partial-{Guid.NewGuid():N}";
        try
        {
            db.Checkpoint(temporary);

            var record = new StringBuilder()
                .AppendLine(FormatLine)
                .AppendLine(CultureInfo.InvariantCulture, $"completed {completedAt.ToUnixTimeMilliseconds()}")
                .AppendLine(CultureInfo.InvariantCulture, $"source {source}");
            foreach (var file in new DirectoryInfo(temporary).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                record.AppendLine(CultureInfo.InvariantCulture, $"file {file.Length} {file.Name}");
            }

            using (var stream = new FileStream(Path.Combine(temporary, RecordFile), FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(record.ToString()));
                stream.Flush(flushToDisk: true);
            }

            DurableDirectory.Sync(temporary);
            Directory.Move(temporary, full);
            DurableDirectory.Sync(Path.GetDirectoryName(full)!);
        }
        catch
        {
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }

            throw;
        }
    }

    /// <exception cref="StateCorruptedException">The folder is not a complete FlowState backup (why, and what to do).</exception>
    public static StateBackupInfo Verify(string path)
    {
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"There is no backup folder '{path}'.");
        }

        var recordPath = Path.Combine(path, RecordFile);
        if (!File.Exists(recordPath))
        {
            throw NotABackup(path, File.Exists(Path.Combine(path, "CURRENT"))
                ? "it is a RocksDB store, not a backup (take one with 'flowstate backup copy')"
                : "it holds no FlowState backup record");
        }

        var lines = File.ReadAllLines(recordPath);
        if (lines.Length < 3 || lines[0] != FormatLine || !lines[1].StartsWith("completed ", StringComparison.Ordinal) || !lines[2].StartsWith("source ", StringComparison.Ordinal)
            || !long.TryParse(lines[1].AsSpan("completed ".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var completed))
        {
            throw NotABackup(path, "its backup record is damaged or of an unknown format");
        }

        var listed = 0;
        foreach (var line in lines.Skip(3))
        {
            var parts = line.Split(' ', 3);
            if (parts.Length != 3 || parts[0] != "file" || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || parts[2].IndexOfAny(['/', '\\']) >= 0)
            {
                throw NotABackup(path, $"its backup record has a damaged line ('{line}')");
            }

            var file = new FileInfo(Path.Combine(path, parts[2]));
            if (!file.Exists || file.Length != size)
            {
                throw NotABackup(path, file.Exists ? $"'{parts[2]}' is {file.Length} bytes where the record says {size}" : $"'{parts[2]}' is missing");
            }

            listed++;
        }

        if (listed == 0 || !File.Exists(Path.Combine(path, "CURRENT")))
        {
            throw NotABackup(path, "it lists no RocksDB files");
        }

        return new StateBackupInfo(DateTimeOffset.FromUnixTimeMilliseconds(completed), null, lines[2]["source ".Length..]);
    }

    private static StateCorruptedException NotABackup(string path, string why) =>
        new($"'{path}' is not a complete FlowState backup: {why}. Take a new backup with 'flowstate backup copy', or restore an older one.");
}
