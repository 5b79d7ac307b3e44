using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using FlowState.Sqlite;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>The row checksum is part of the file format: files written before keep opening, for small and large values alike.</summary>
public sealed class SqliteEntryChecksumTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(900)]
    [InlineData(5_000)]
    public void The_checksum_is_XXH64_of_the_documented_row_layout_whatever_the_value_size(int valueLength)
    {
        var value = Enumerable.Range(0, valueLength).Select(i => (byte)(i * 7)).ToArray();

        var computed = SqliteEntryChecksum.Compute("workflow:w\u00e9/step:s/", "key-\u2603", value, 42, 638_000_000_000_000_000, 36_000_000_000, sliding: true);

        Assert.Equal(Reference("workflow:w\u00e9/step:s/", "key-\u2603", value, 42, 638_000_000_000_000_000, 36_000_000_000, sliding: true), computed);
        Assert.NotEqual(computed, SqliteEntryChecksum.Compute("workflow:w\u00e9/step:s/", "key-\u2603", value, 43, 638_000_000_000_000_000, 36_000_000_000, sliding: true));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(900)]
    [InlineData(5_000)]
    public void The_checksum_of_the_stored_UTF8_bytes_is_the_checksum_of_the_text(int valueLength)
    {
        var value = Enumerable.Range(0, valueLength).Select(i => (byte)(i * 7)).ToArray();

        var fromBytes = SqliteEntryChecksum.Compute(Encoding.UTF8.GetBytes("workflow:w\u00e9/step:s/"), Encoding.UTF8.GetBytes("key-\u2603"), value, 42, 638_000_000_000_000_000, 36_000_000_000, sliding: true);

        Assert.Equal(Reference("workflow:w\u00e9/step:s/", "key-\u2603", value, 42, 638_000_000_000_000_000, 36_000_000_000, sliding: true), fromBytes);
    }

    // The layout as files have always been written: each text length-prefixed UTF-8, the value length-prefixed, then
    // version, expiry, time to live and sliding; every number 8 bytes little-endian; XXH64 with seed 0.
    private static long Reference(string scope, string key, byte[] value, long version, long expiresAt, long ttl, bool sliding)
    {
        var bytes = new List<byte>();
        void Number(long n)
        {
            var buffer = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(buffer, n);
            bytes.AddRange(buffer);
        }

        foreach (var text in new[] { scope, key })
        {
            var utf8 = Encoding.UTF8.GetBytes(text);
            Number(utf8.Length);
            bytes.AddRange(utf8);
        }

        Number(value.Length);
        bytes.AddRange(value);
        foreach (var n in new[] { version, expiresAt, ttl, sliding ? 1 : 0 })
        {
            Number(n);
        }

        return unchecked((long)XxHash64.HashToUInt64([.. bytes]));
    }
}
