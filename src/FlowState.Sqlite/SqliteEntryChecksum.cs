using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace FlowState.Sqlite;

/// <summary>
/// A 64-bit checksum over every stored field of an entry. SQLite checks the structure of its pages but not the bytes
/// of a row, so a flipped bit inside a value or version would otherwise be read back as if it were written.
/// </summary>
/// <remarks>
/// Locals are not zeroed: the text form lays its scope and key out in one stack buffer and the layout in another, and
/// every byte hashed is written first — zeroing both kilobytes would be work done on every fold and every row read.
/// </remarks>
[System.Runtime.CompilerServices.SkipLocalsInit]
internal static class SqliteEntryChecksum
{
    // Entries up to this size are laid out once on the stack and hashed in one call (no allocation per row: a store of
    // a million keys checks a million rows when it opens); larger ones are hashed in pieces, to the same result.
    private const int StackLimit = 1024;

    public static long Compute(string scope, string key, byte[] value, long version, long expiresAt, long ttl, bool sliding)
    {
        var most = Encoding.UTF8.GetMaxByteCount(scope.Length) + Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var text = most <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(most));
        try
        {
            var scopeLength = Encoding.UTF8.GetBytes(scope, text);
            var keyLength = Encoding.UTF8.GetBytes(key, text[scopeLength..]);
            return Compute(text[..scopeLength], text.Slice(scopeLength, keyLength), value, version, expiresAt, ttl, sliding);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The same checksum of a row whose scope and key are given as the UTF-8 bytes SQLite stores.</summary>
    public static long Compute(ReadOnlySpan<byte> scope, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long version, long expiresAt, long ttl, bool sliding)
    {
        // XXH64 of: scope and key as length-prefixed UTF-8 (so that ("ab", "c") and ("a", "bc") differ), the value's
        // length and bytes, then version, expiry, time to live and sliding, every number 8 bytes little-endian.
        var head = 8 + scope.Length + 8 + key.Length + 8;
        byte[]? rented = null;
        var buffer = head + value.Length + 32 <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(head + 32));
        try
        {
            var at = WriteText(buffer, 0, scope);
            at = WriteText(buffer, at, key);
            BinaryPrimitives.WriteInt64LittleEndian(buffer[at..], value.Length);
            at += 8;
            if (rented is null)
            {
                value.CopyTo(buffer[at..]);
                at += value.Length;
                at = WriteNumbers(buffer, at, version, expiresAt, ttl, sliding);
                return unchecked((long)XxHash64.HashToUInt64(buffer[..at]));
            }

            var hash = new XxHash64();
            hash.Append(buffer[..at]);
            hash.Append(value);
            hash.Append(buffer[..WriteNumbers(buffer, 0, version, expiresAt, ttl, sliding)]);
            return unchecked((long)hash.GetCurrentHashAsUInt64());
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int WriteText(Span<byte> buffer, int at, ReadOnlySpan<byte> text)
    {
        BinaryPrimitives.WriteInt64LittleEndian(buffer[at..], text.Length);
        text.CopyTo(buffer[(at + 8)..]);
        return at + 8 + text.Length;
    }

    private static int WriteNumbers(Span<byte> buffer, int at, long version, long expiresAt, long ttl, bool sliding)
    {
        foreach (var field in (ReadOnlySpan<long>)[version, expiresAt, ttl, sliding ? 1 : 0])
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer[at..], field);
            at += 8;
        }

        return at;
    }
}
