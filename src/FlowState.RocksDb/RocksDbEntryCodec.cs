using System.Buffers.Binary;
using System.Text;

namespace FlowState.RocksDb;

/// <summary>
/// How an entry is laid out in RocksDB. Key: the scope's storage key in UTF-8, a zero byte, then the key. Neither
/// scope names nor keys may hold control characters, so the first zero byte splits the pair unambiguously, and since
/// a child scope's storage key starts with its parent's, a scope's storage key is a byte prefix of every key in its
/// subtree (a prefix per scope). Value: a format byte, version, expiry, time to live (8 bytes each, little-endian),
/// a sliding flag, then the JSON.
/// </summary>
internal static class RocksDbEntryCodec
{
    public const byte Format = 1;
    private const int HeaderLength = 1 + 8 + 8 + 8 + 1;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] EncodeKey(string scopeKey, string key)
    {
        var scopeLength = Encoding.UTF8.GetByteCount(scopeKey);
        var bytes = new byte[scopeLength + 1 + Encoding.UTF8.GetByteCount(key)];
        Encoding.UTF8.GetBytes(scopeKey, bytes);
        Encoding.UTF8.GetBytes(key, bytes.AsSpan(scopeLength + 1));
        return bytes;
    }

    /// <summary>The byte prefix of every key whose scope storage key starts with <paramref name="scopeKeyPrefix"/>.</summary>
    public static byte[] EncodeScopePrefix(string scopeKeyPrefix) => Encoding.UTF8.GetBytes(scopeKeyPrefix);

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
        var scopeLength = key.IndexOf((byte)0);
        if (scopeLength < 0)
        {
            problem = $"a key of {key.Length} bytes has no scope separator";
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
            scope = StrictUtf8.GetString(key[..scopeLength]);
            name = StrictUtf8.GetString(key[(scopeLength + 1)..]);
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
