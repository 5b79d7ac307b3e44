using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace FlowState.Sqlite;

/// <summary>
/// The backend's own write-ahead log: two files beside the database, <c>{path}.flowstate-log-0</c> and
/// <c>{path}.flowstate-log-1</c>. A commit is one record appended to the active file with one write, and at
/// <see cref="Durability.Machine"/> one <c>fdatasync</c>; a SQLite commit of the same changes writes their pages to
/// SQLite's WAL and syncs it, about two and a half fsync times per group here. When the active file has enough, it is
/// sealed, the other file becomes the active one, and the sealed file's changes are folded into the database off the
/// commit path; then it is written over from its start in its next turn.
/// </summary>
/// <remarks>
/// A record: magic, payload length, sequence number, flags (24 bytes), the payload (the changes), and an XXH64 of both
/// seeded with the database's log id (a random number the database keeps), so that the log files of another database
/// left under the same name never read as this one's records.
/// Sequence numbers go up by one per record across both files; the database records the last one folded into it, so
/// recovery replays the records after it in order and stops at the first one missing or damaged — a record a crash
/// left half written, which was never acknowledged. A damaged record that a later record's flags show was on disk
/// before that later one was written is not such a tail: that is reported as corruption, not dropped.
/// <para>
/// The files are written with zeros ahead of the records (a mebibyte at a time) and reused from their start rather
/// than emptied: an <c>fdatasync</c> of bytes written over already-written blocks of a file whose size stays the same
/// flushes the data alone, where one after an append also commits the file system's journal (the new size and
/// blocks) — on this machine's ext4 half the time in one measurement, three quarters in another (the host's disk
/// varies; docs/performance.md). What a reused file holds past the current turn's records
/// are records of earlier turns, all folded already (numbered at or before the database's folded record), which
/// recovery skips.
/// </para>
/// </remarks>
internal sealed partial class SqliteWriteAheadLog : IDisposable
{
    private const uint Magic = 0x474C_5346; // "FSLG" as little-endian bytes
    private const int HeaderSize = 24;
    private const int ChecksumSize = 8;
    private const byte PriorOnDisk = 1;
    private const byte KindDelete = 0;
    private const byte KindSet = 1;
    private const byte KindSetSliding = 2;
    private const int GrowBy = 1 << 20;

    private static readonly byte[] Zeros = new byte[64 * 1024];

    private readonly string _databasePath;
    private readonly long _seed;
    private readonly FileStream[] _files;
    private readonly long[] _lengths = new long[2];

    // How far each file is written (records or the zeros ahead of them): a record within it is written over blocks
    // the file already has.
    private readonly long[] _written = new long[2];

    // Whether a file holds records written since its last flush to disk: a synced commit flushes both files (a record
    // is replayed only after every earlier one), and a record says whether everything before it was on disk.
    private readonly bool[] _unflushed = new bool[2];
    private byte[] _buffer = new byte[64 * 1024];
    private int _active;
    private long _nextSequence;

    private SqliteWriteAheadLog(string databasePath, long seed, FileStream[] files, long nextSequence)
    {
        _databasePath = databasePath;
        _seed = seed;
        _files = files;
        _nextSequence = nextSequence;
    }

    /// <summary>The path of log file 0 or 1 of the database at <paramref name="databasePath"/>.</summary>
    public static string FilePath(string databasePath, int index) => $"{databasePath}.flowstate-log-{index}";

    /// <summary>The sequence number of the last record written (0 before any).</summary>
    public long LastSequence => _nextSequence - 1;

    /// <summary>The file the next record goes to (0 or 1).</summary>
    public int ActiveIndex => _active;

    /// <summary>
    /// Opens both files for writing where <paramref name="replay"/> leaves them: the file holding its last record is
    /// the active one, cut after that record (a torn or dropped tail goes); the other file keeps the records before
    /// the active file's (a sealed file not folded yet) or, holding none, is emptied. Every cut is on disk before the
    /// next record can reuse a sequence number a dropped one had. <paramref name="beforeCut"/> runs before the first
    /// cut (it may throw to leave the files as they are).
    /// </summary>
    /// <exception cref="StateCorruptedException">The records alternate between the files in a way no writer leaves.</exception>
    public static SqliteWriteAheadLog Open(string databasePath, long seed, SqliteLogReplay replay, Action beforeCut)
    {
        var records = replay.Records;
        var active = records.Count == 0 ? 0 : records[^1].File;
        var firstActive = records.Count;
        while (firstActive > 0 && records[firstActive - 1].File == active)
        {
            firstActive--;
        }

        if (records.Take(firstActive).Any(record => record.File == active))
        {
            throw new StateCorruptedException(
                $"SQLite file '{databasePath}' is damaged: its write-ahead log files hold records in an order no writer leaves. Restore the file from a backup.")
            { Location = databasePath };
        }

        var lengths = new long[2];
        lengths[active] = records.Count == 0 ? 0 : records[^1].End;
        lengths[active ^ 1] = firstActive == 0 ? 0 : records[firstActive - 1].End;
        var files = new FileStream[2];
        var created = false;
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var path = FilePath(databasePath, i);
                created |= !File.Exists(path);
                files[i] = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
                if (files[i].Length != lengths[i])
                {
                    beforeCut();
                    files[i].SetLength(lengths[i]);
                    files[i].Flush(flushToDisk: true);
                }
            }

            if (created)
            {
                // A record synced into a file whose name is not yet durable would go with the name at a power loss.
                FlowState.Files.DurableDirectory.Sync(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
            }
        }
        catch
        {
            foreach (var file in files)
            {
                file?.Dispose();
            }

            throw;
        }

        // Numbering goes on after the last record kept: the dropped ones are cut away, and the next open follows the
        // numbers from the last folded record. With nothing kept, after every number the files or database held.
        var log = new SqliteWriteAheadLog(databasePath, seed, files, (records.Count == 0 ? replay.Highest : replay.Through) + 1) { _active = active };
        lengths.CopyTo(log._lengths, 0);
        lengths.CopyTo(log._written, 0);
        return log;
    }

    /// <summary>Appends one record holding <paramref name="changes"/>; with <paramref name="flushToDisk"/>, returns once it and every earlier record are on disk.</summary>
    /// <returns>The record's sequence number.</returns>
    /// <exception cref="IOException">The write or the flush failed; the record does not count (the next one is written over it).</exception>
    public long Append(IReadOnlyList<BackendChange> changes, bool flushToDisk)
    {
        var sequence = _nextSequence;
        var length = Encode(changes, sequence, _unflushed[0] || _unflushed[1] ? (byte)0 : PriorOnDisk);
        var file = _files[_active];
        try
        {
            if (_lengths[_active] + length > _written[_active])
            {
                WriteZerosAhead(_active, _lengths[_active] + length);
            }

            RandomAccess.Write(file.SafeFileHandle, _buffer.AsSpan(0, length), _lengths[_active]);
            if (flushToDisk)
            {
                var other = _active ^ 1;
                if (_unflushed[other])
                {
                    Flush(_files[other]);
                    _unflushed[other] = false;
                }

                Flush(file);
            }
        }
        catch (IOException)
        {
            // Whatever part of it reached the file is where the next record is written; zeroed now, so that a reader
            // never finds a record that was not acknowledged.
            TryZero(file, _lengths[_active], length);
            throw;
        }

        _unflushed[_active] = !flushToDisk;
        _lengths[_active] += length;
        _nextSequence++;
        return sequence;
    }

    /// <summary>Makes the other file the active one (it must have been released); returns the sealed file's index.</summary>
    public int Seal()
    {
        var sealedIndex = _active;
        _active ^= 1;
        if (_lengths[_active] != 0)
        {
            throw new InvalidOperationException("The log file to switch to still holds records that were not folded.");
        }

        return sealedIndex;
    }

    /// <summary>Frees the sealed file <paramref name="index"/> for its next turn once its records are folded (durably) into the database.</summary>
    public void Release(int index)
    {
        // Not emptied: its next turn writes over its records from the start (see the remarks).
        _lengths[index] = 0;
        _unflushed[index] = false;
    }

    /// <summary>Closes both files and, when <paramref name="delete"/> (everything folded), removes them.</summary>
    public void Close(bool delete)
    {
        Dispose();
        if (delete)
        {
            Delete(_databasePath);
        }
    }

    /// <summary>Removes both log files of <paramref name="databasePath"/> (those that exist).</summary>
    public static void Delete(string databasePath)
    {
        File.Delete(FilePath(databasePath, 0));
        File.Delete(FilePath(databasePath, 1));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    /// <summary>The readable records of both log files of <paramref name="databasePath"/> (none when they do not exist), checksums seeded with <paramref name="seed"/>.</summary>
    public static SqliteLogContents Read(string databasePath, long seed)
    {
        var valid = new SortedDictionary<long, SqliteLogRecord>();
        var damaged = new List<(string Path, long Offset, long? Sequence)>();
        for (var i = 0; i < 2; i++)
        {
            var path = FilePath(databasePath, i);
            byte[] content;
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                content = new byte[stream.Length];

                // The writer may empty the file meanwhile: what was read is what there was.
                var read = 0;
                int n;
                while (read < content.Length && (n = stream.Read(content, read, content.Length - read)) > 0)
                {
                    read += n;
                }

                Array.Resize(ref content, read);
            }
            catch (FileNotFoundException)
            {
                continue;
            }

            ReadFile(i, path, content, seed, valid, damaged);
        }

        return new SqliteLogContents(databasePath, valid, damaged);
    }

    /// <summary>Reads the record at <paramref name="offset"/> if there is a whole one (its checksum holds).</summary>
    public static bool TryReadRecordAt(SafeFileHandle file, long offset, long seed, out long sequence, out long end)
    {
        (sequence, end) = (0, 0);
        Span<byte> header = stackalloc byte[HeaderSize];
        if (RandomAccess.Read(file, header, offset) < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
        {
            return false;
        }

        var total = HeaderSize + (long)BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) + ChecksumSize;
        if (total > int.MaxValue || offset + total > RandomAccess.GetLength(file))
        {
            return false;
        }

        var record = new byte[total];
        if (RandomAccess.Read(file, record, offset) < total || !ChecksumHolds(record, seed))
        {
            return false;
        }

        (sequence, end) = (BinaryPrimitives.ReadInt64LittleEndian(header[8..]), offset + total);
        return true;
    }

    private static void ReadFile(int index, string path, byte[] content, long seed, SortedDictionary<long, SqliteLogRecord> valid, List<(string, long, long?)> damaged)
    {
        long offset = 0;
        while (offset + HeaderSize + ChecksumSize <= content.Length)
        {
            var header = content.AsSpan((int)offset, HeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
            {
                // Zeros past the end of what was written, or a header a crash cut: nothing after it can be found.
                damaged.Add((path, offset, null));
                return;
            }

            var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            var sequence = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
            var flags = header[16];
            var total = HeaderSize + (long)payloadLength + ChecksumSize;
            if (offset + total > content.Length)
            {
                damaged.Add((path, offset, sequence));
                return;
            }

            var record = content.AsSpan((int)offset, (int)total);
            if (!ChecksumHolds(record, seed) || !TryDecode(record[HeaderSize..^ChecksumSize], out var changes))
            {
                damaged.Add((path, offset, sequence));
            }
            else
            {
                valid[sequence] = new SqliteLogRecord(sequence, changes, (flags & PriorOnDisk) != 0, index, offset + total);
            }

            offset += total;
        }

        if (offset < content.Length && content.AsSpan((int)offset).ContainsAnyExcept((byte)0))
        {
            damaged.Add((path, offset, null));
        }
    }

    private static bool ChecksumHolds(ReadOnlySpan<byte> record, long seed) =>
        XxHash64.HashToUInt64(record[..^ChecksumSize], seed) == BinaryPrimitives.ReadUInt64LittleEndian(record[^ChecksumSize..]);

    private static bool TryDecode(ReadOnlySpan<byte> payload, out List<BackendChange> changes)
    {
        changes = [];
        try
        {
            var count = BinaryPrimitives.ReadInt32LittleEndian(payload);
            var at = 4;
            for (var i = 0; i < count; i++)
            {
                var kind = payload[at++];
                var scope = ReadText(payload, ref at);
                var key = ReadText(payload, ref at);
                if (kind == KindDelete)
                {
                    changes.Add(BackendChange.Delete(scope, key));
                    continue;
                }

                var version = BinaryPrimitives.ReadInt64LittleEndian(payload[at..]);
                var expiresAt = BinaryPrimitives.ReadInt64LittleEndian(payload[(at + 8)..]);
                var ttl = BinaryPrimitives.ReadInt64LittleEndian(payload[(at + 16)..]);
                var valueLength = BinaryPrimitives.ReadInt32LittleEndian(payload[(at + 24)..]);
                at += 28;
                var value = payload.Slice(at, valueLength).ToArray();
                at += valueLength;
                changes.Add(BackendChange.Upsert(new BackendEntry(scope, key, value, version, expiresAt, ttl, kind == KindSetSliding)));
            }

            return at == payload.Length;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
        catch (IndexOutOfRangeException)
        {
            return false;
        }
    }

    private static string ReadText(ReadOnlySpan<byte> payload, ref int at)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(payload[at..]);
        var text = Encoding.UTF8.GetString(payload.Slice(at + 4, length));
        at += 4 + length;
        return text;
    }

    private int Encode(IReadOnlyList<BackendChange> changes, long sequence, byte flags)
    {
        var most = HeaderSize + 4 + ChecksumSize;
        foreach (var change in changes)
        {
            most += 1 + 8 + Encoding.UTF8.GetMaxByteCount(change.ScopeKey.Length) + Encoding.UTF8.GetMaxByteCount(change.Key.Length)
                + (change.Entry is { } entry ? 28 + entry.Value.Length : 0);
        }

        if (_buffer.Length < most)
        {
            _buffer = new byte[Math.Max(most, _buffer.Length * 2)];
        }

        var buffer = _buffer.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(buffer[HeaderSize..], changes.Count);
        var at = HeaderSize + 4;
        foreach (var change in changes)
        {
            var entry = change.Entry;
            buffer[at++] = entry is null ? KindDelete : entry.Sliding ? KindSetSliding : KindSet;
            at = WriteText(buffer, at, change.ScopeKey);
            at = WriteText(buffer, at, change.Key);
            if (entry is not null)
            {
                BinaryPrimitives.WriteInt64LittleEndian(buffer[at..], entry.Version);
                BinaryPrimitives.WriteInt64LittleEndian(buffer[(at + 8)..], entry.ExpiresAtUtcTicks);
                BinaryPrimitives.WriteInt64LittleEndian(buffer[(at + 16)..], entry.TimeToLiveTicks);
                BinaryPrimitives.WriteInt32LittleEndian(buffer[(at + 24)..], entry.Value.Length);
                at += 28;
                entry.Value.CopyTo(buffer[at..]);
                at += entry.Value.Length;
            }
        }

        BinaryPrimitives.WriteUInt32LittleEndian(buffer, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], (uint)(at - HeaderSize));
        BinaryPrimitives.WriteInt64LittleEndian(buffer[8..], sequence);
        buffer[16] = flags;
        buffer[17..HeaderSize].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[at..], XxHash64.HashToUInt64(buffer[..at], _seed));
        return at + ChecksumSize;
    }

    private static int WriteText(Span<byte> buffer, int at, string text)
    {
        var length = Encoding.UTF8.GetBytes(text, buffer[(at + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], length);
        return at + 4 + length;
    }

    private static void Flush(FileStream file)
    {
        if (!OperatingSystem.IsLinux())
        {
            file.Flush(flushToDisk: true);
            return;
        }

        // fdatasync, not fsync: the file's data and size, without its times (one journal write fewer on ext4).
        if (FDataSync(file.SafeFileHandle) != 0)
        {
            throw new IOException($"fdatasync of '{file.Name}' failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    private void WriteZerosAhead(int index, long needed)
    {
        try
        {
            WriteZeros(index, (Math.Max(needed, _written[index] + GrowBy) + 4095) & ~4095L);
        }
        catch (IOException)
        {
            // A nearly full disk may still take the record itself.
            WriteZeros(index, needed);
        }
    }

    private void WriteZeros(int index, long to)
    {
        for (var at = _written[index]; at < to; at += Zeros.Length)
        {
            RandomAccess.Write(_files[index].SafeFileHandle, Zeros.AsSpan(0, (int)Math.Min(Zeros.Length, to - at)), at);
            _written[index] = Math.Min(to, at + Zeros.Length);
        }
    }

    private static void TryZero(FileStream file, long at, int length)
    {
        try
        {
            for (var done = 0; done < length; done += Zeros.Length)
            {
                RandomAccess.Write(file.SafeFileHandle, Zeros.AsSpan(0, Math.Min(Zeros.Length, length - done)), at + done);
            }
        }
        catch (IOException)
        {
            // The next record is written at the same offset, over it; one that fails too is never acknowledged.
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(SafeFileHandle fd);
}
