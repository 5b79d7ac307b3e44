using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace FlowState.Sqlite;

/// <summary>
/// A 64-bit checksum over every stored field of an entry. SQLite checks the structure of its pages but not the bytes
/// of a row, so a flipped bit inside a value or version would otherwise be read back as if it were written.
/// </summary>
internal static class SqliteEntryChecksum
{
    public static long Compute(string scope, string key, byte[] value, long version, long expiresAt, long ttl, bool sliding)
    {
        var hash = new XxHash64();
        Span<byte> number = stackalloc byte[8];
        AppendText(hash, scope, number);
        AppendText(hash, key, number);
        BinaryPrimitives.WriteInt64LittleEndian(number, value.Length);
        hash.Append(number);
        hash.Append(value);
        foreach (var field in (ReadOnlySpan<long>)[version, expiresAt, ttl, sliding ? 1 : 0])
        {
            BinaryPrimitives.WriteInt64LittleEndian(number, field);
            hash.Append(number);
        }

        return unchecked((long)hash.GetCurrentHashAsUInt64());
    }

    private static void AppendText(XxHash64 hash, string text, Span<byte> number)
    {
        // Length-prefixed so that ("ab", "c") and ("a", "bc") differ.
        var bytes = Encoding.UTF8.GetBytes(text);
        BinaryPrimitives.WriteInt64LittleEndian(number, bytes.Length);
        hash.Append(number);
        hash.Append(bytes);
    }
}
