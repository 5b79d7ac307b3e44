using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace FlowState.Sqlite;

/// <summary>
/// Follows the end of a database's write-ahead log files from outside the process writing them, for change stamps
/// (the inspector of a store another process has open). The files are written over in place, so their size does not
/// change with a commit, and their write time moves only at the kernel's clock tick, milliseconds apart: the stamp is
/// the sequence number of the last whole record of each file instead. Each record is read once.
/// </summary>
internal sealed class SqliteLogWatch(string databasePath)
{
    private long? _seed;
    private readonly long[] _offsets = new long[2];
    private readonly long[] _last = new long[2];
    private readonly Lock _gate = new();

    /// <summary>The last whole record of each file, as text; it changes with every commit.</summary>
    public string Stamp()
    {
        lock (_gate)
        {
            // The log id never changes once the database has it.
            _seed ??= SqliteStateBackend.ReadLogId(databasePath);
            if (_seed is null)
            {
                return "no log";
            }

            Follow(0, _seed.Value);
            Follow(1, _seed.Value);
            return string.Create(CultureInfo.InvariantCulture, $"{_last[0]}.{_last[1]}");
        }
    }

    private void Follow(int index, long seed)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(SqliteWriteAheadLog.FilePath(databasePath, index), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            (_offsets[index], _last[index]) = (0, 0);
            return;
        }

        using (handle)
        {
            // A new turn writes the file over from its start: its first record is newer than any seen before.
            if (_offsets[index] > 0 && SqliteWriteAheadLog.TryReadRecordAt(handle, 0, seed, out var first, out _) && first > _last[index])
            {
                (_offsets[index], _last[index]) = (0, 0);
            }

            while (SqliteWriteAheadLog.TryReadRecordAt(handle, _offsets[index], seed, out var sequence, out var end) && (_offsets[index] == 0 || sequence == _last[index] + 1))
            {
                (_offsets[index], _last[index]) = (end, sequence);
            }
        }
    }
}
