using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace FlowState.Streaming;

/// <summary>
/// The stable partitioning of keys: <c>partition = xxHash32(UTF-8 key) % n</c>. The same key lands in the same partition
/// in every process and every release, which is what lets a checkpoint taken with n partitions be restored with m.
/// </summary>
public static class StreamPartitioner
{
    /// <summary>The partition of <paramref name="key"/> among <paramref name="partitionCount"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is below 1.</exception>
    public static int PartitionOf(string key, int partitionCount)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        if (partitionCount == 1)
        {
            return 0;
        }

        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var buffer = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(key, buffer);
            return (int)(XxHash32.HashToUInt32(buffer[..written]) % (uint)partitionCount);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
