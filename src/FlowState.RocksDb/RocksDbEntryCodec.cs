using System.Buffers.Binary;
using System.Text;

namespace FlowState.RocksDb;

/// <summary>
/// How an entry is laid out in RocksDB. Key: the scope's storage key's UTF-8 length (4 bytes, big-endian), the scope,
/// then the key; the length makes the pair injective although keys may contain anything a scope does, and keeps
/// each scope's entries contiguous (a prefix per scope). Value: a format byte, version, expiry, time to live (8 bytes
/// each, little-endian), a sliding flag, then the JSON.
/// </summary>
internal static class RocksDbEntryCodec
{
    public const byte Format = 1;
    private const int HeaderLength = 1 + 8 + 8 + 8 + 1;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] EncodeKey(string scopeKey, string key)
    {
        var scopeLength = Encoding.UTF8.GetByteCount(scopeKey);
        var bytes = new byte[4 + scopeLength + Encoding.UTF8.GetByteCount(key)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, scopeLength);
        Encoding.UTF8.GetBytes(scopeKey, bytes.AsSpan(4));
        Encoding.UTF8.GetBytes(key, bytes.AsSpan(4 + scopeLength));
        return bytes;
    }

    public static byte[] EncodeValue(BackendEntry entry)
    {
        var bytes = new byte[HeaderLength + entry.Value.Length];
        bytes[0] = Format;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), entry.Version);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(9), entry.ExpiresAtUtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(17), entry.TimeToLiveTicks);
        bytes[25] = entry.Sliding ? (byte)1 : (byte)0;
        entry.Value.CopyTo(bytes.AsSpan(HeaderLength));
        return bytes;
    }

    /// <summary>Decodes a stored pair, or returns why it is not one of ours.</summary>
    public static BackendEntry? Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? problem)
    {
        problem = null;
        if (key.Length < 4 || BinaryPrimitives.ReadInt32BigEndian(key) is var scopeLength && (scopeLength < 0 || scopeLength > key.Length - 4))
        {
            problem = $"a key of {key.Length} bytes has no valid scope length";
            return null;
        }

        if (value.Length < HeaderLength || value[0] != Format || value[25] > 1)
        {
            problem = value.Length >= 1 && value[0] != Format
                ? $"an entry has format {value[0]}, this FlowState reads format {Format}"
                : $"an entry's header is malformed ({value.Length} bytes)";
            return null;
        }

        string scope, name;
        try
        {
            scope = StrictUtf8.GetString(key.Slice(4, scopeLength));
            name = StrictUtf8.GetString(key[(4 + scopeLength)..]);
        }
        catch (DecoderFallbackException)
        {
            problem = "a key is not valid UTF-8";
            return null;
        }

        return new BackendEntry(
            scope,
            name,
            value[HeaderLength..].ToArray(),
            BinaryPrimitives.ReadInt64LittleEndian(value[1..]),
            BinaryPrimitives.ReadInt64LittleEndian(value[9..]),
            BinaryPrimitives.ReadInt64LittleEndian(value[17..]),
            value[25] == 1);
    }
}
