namespace FlowState.RocksDb;

/// <summary>A RocksDB iterator (<c>rocksdb_iterator_t*</c>); the spans it hands out are valid until it moves.</summary>
internal sealed unsafe class RocksDbEntryIterator(IntPtr iterator) : IDisposable
{
    private IntPtr _iterator = iterator;

    public void Seek(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            RocksDbNative.IteratorSeek(_iterator, k, (nuint)key.Length);
        }
    }

    /// <summary>Whether the iterator is on an entry; false at the end, and after an error, which this throws.</summary>
    public bool Valid()
    {
        if (RocksDbNative.IteratorValid(_iterator) != 0)
        {
            return true;
        }

        RocksDbNative.IteratorGetError(_iterator, out var error);
        RocksDbNative.ThrowIfError(error);
        return false;
    }

    public ReadOnlySpan<byte> Key()
    {
        var key = RocksDbNative.IteratorKey(_iterator, out var length);
        return new ReadOnlySpan<byte>(key, checked((int)length));
    }

    public ReadOnlySpan<byte> Value()
    {
        var value = RocksDbNative.IteratorValue(_iterator, out var length);
        return new ReadOnlySpan<byte>(value, checked((int)length));
    }

    public void Next() => RocksDbNative.IteratorNext(_iterator);

    public void Dispose()
    {
        if (_iterator != IntPtr.Zero)
        {
            RocksDbNative.IteratorDestroy(_iterator);
            _iterator = IntPtr.Zero;
        }
    }
}
