using System.Buffers;

namespace FlowState;

/// <summary>
/// A growable buffer for serializing one value that gives up as soon as the value has grown past a limit, so that a
/// value far over <see cref="StateLimits.MaxValueBytes"/> is refused after about the limit's worth of work, not after
/// being serialized whole. Reused per thread; not thread-safe.
/// </summary>
internal sealed class BoundedBufferWriter : IBufferWriter<byte>
{
    private const int InitialSize = 256;

    // A buffer grown past this is not kept for the next value on the thread.
    private const int RetainedSize = 64 * 1024;

    private byte[] _buffer = new byte[InitialSize];
    private int _written;
    private long _limit = long.MaxValue;

    public int WrittenCount => _written;

    /// <summary>Empties the buffer for a value of at most <paramref name="limit"/> bytes.</summary>
    public void Reset(long limit)
    {
        if (_buffer.Length > RetainedSize)
        {
            _buffer = new byte[InitialSize];
        }

        _written = 0;
        _limit = limit;
    }

    public byte[] ToArray() => _buffer.AsSpan(0, _written).ToArray();

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _written = checked(_written + count);
        if (_written > _limit)
        {
            throw new LimitReachedException(_written);
        }
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        // Reserve first: it may replace the buffer.
        var start = Reserve(sizeHint);
        return _buffer.AsMemory(start);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var start = Reserve(sizeHint);
        return _buffer.AsSpan(start);
    }

    private int Reserve(int sizeHint)
    {
        if (_written > _limit)
        {
            throw new LimitReachedException(_written);
        }

        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written < needed)
        {
            var size = (int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)_written + needed));
            Array.Resize(ref _buffer, size);
        }

        return _written;
    }

    /// <summary>The value grew past the limit; <see cref="Written"/> bytes were written when it was noticed.</summary>
    internal sealed class LimitReachedException(long written) : Exception($"The value grew past its limit ({written} bytes written).")
    {
        public long Written { get; } = written;
    }
}
