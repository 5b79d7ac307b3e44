using System.Buffers.Binary;

namespace FlowState.Sqlite;

/// <summary>
/// Reads a SQLite write-ahead log the way SQLite's recovery does (https://www.sqlite.org/fileformat.html#walformat),
/// before SQLite opens it: SQLite replays frames up to the first one whose checksum fails and silently drops the rest,
/// so a log damaged in the middle opens as an older state, losing commits that were acknowledged (at
/// <see cref="Durability.Machine"/>, fsynced). A damaged header makes SQLite ignore the whole log. Both are reported
/// here; a log that merely ends in a partly written frame or transaction (a crash mid-write) is not, and neither is
/// damage inside the last transaction alone, which a power loss can leave without it being acknowledged.
/// </summary>
internal static class SqliteWalCheck
{
    private const int HeaderSize = 32;
    private const int FrameHeaderSize = 24;

    /// <summary>Throws <see cref="StateCorruptedException"/> when SQLite would drop commits that <paramref name="walPath"/> holds.</summary>
    public static void ThrowIfCommitsWouldBeDropped(string walPath)
    {
        if (!File.Exists(walPath))
        {
            return;
        }

        using var stream = new FileStream(walPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = stream.Length;
        if (length < HeaderSize + FrameHeaderSize)
        {
            // No whole frame: nothing was ever committed through it (SQLite writes the header with the first frames).
            return;
        }

        var header = new byte[HeaderSize];
        stream.ReadExactly(header);
        var magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        var bigEndian = (magic & 1) == 1;
        var pageSize = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
        var validHeader = (magic & 0xFFFFFFFE) == 0x377F0682
            && pageSize is >= 512 and <= 65536 && (pageSize & (pageSize - 1)) == 0
            && Checksum(header.AsSpan(0, 24), bigEndian, 0, 0) == (BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(24)), BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(28)));
        if (!validHeader)
        {
            throw new StateCorruptedException(
                $"The SQLite write-ahead log '{walPath}' has a damaged header, so SQLite would ignore all {length} bytes of it and open an older state without a word. Restore a backup; or, to accept the state without the log, move '{walPath}' aside before opening.") { Location = walPath };
        }

        var salt1 = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16));
        var salt2 = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(20));
        var (s0, s1) = (BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(24)), BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(28)));
        var frame = new byte[FrameHeaderSize + pageSize];
        var frames = (length - HeaderSize) / frame.Length;
        long damagedFrame = -1;
        var dropped = 0;
        for (long i = 0; i < frames; i++)
        {
            stream.Position = HeaderSize + (i * frame.Length);
            stream.ReadExactly(frame);
            var sameLog = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(8)) == salt1 && BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(12)) == salt2;
            var commit = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(4)) != 0;
            if (damagedFrame < 0)
            {
                var next = Checksum(frame.AsSpan(0, 8), bigEndian, s0, s1);
                next = Checksum(frame.AsSpan(FrameHeaderSize), bigEndian, next.S0, next.S1);
                if (sameLog && next == (BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(16)), BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(20))))
                {
                    (s0, s1) = next;
                    continue;
                }

                if (!sameLog)
                {
                    // A frame of an earlier generation of the log: SQLite's replay ends here, as it should.
                    return;
                }

                damagedFrame = i;
            }

            // Past the damage, a commit frame of this generation is a whole transaction SQLite would not replay.
            if (sameLog && commit)
            {
                dropped++;
            }
        }

        // One commit after the damage is the log's last transaction, which a power loss may leave with its frames
        // written out of order before it was acknowledged; more than one means acknowledged commits would be lost.
        if (dropped > 1)
        {
            throw new StateCorruptedException(
                $"The SQLite write-ahead log '{walPath}' is damaged at frame {damagedFrame + 1} of {frames}: SQLite would drop the {dropped} commits written after it and open an older state without a word. Restore a backup; or, to accept losing those commits, move '{walPath}' aside before opening.") { Location = walPath };
        }
    }

    // SQLite's WAL checksum: over 32-bit words in pairs, in the byte order the magic number names.
    private static (uint S0, uint S1) Checksum(ReadOnlySpan<byte> data, bool bigEndian, uint s0, uint s1)
    {
        for (var i = 0; i + 8 <= data.Length; i += 8)
        {
            var x0 = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[i..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            var x1 = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[(i + 4)..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]);
            unchecked
            {
                s0 += x0 + s1;
                s1 += x1 + s0;
            }
        }

        return (s0, s1);
    }
}
