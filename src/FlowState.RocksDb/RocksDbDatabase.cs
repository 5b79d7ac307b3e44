namespace FlowState.RocksDb;

/// <summary>
/// An open RocksDB database with its two column families (<c>default</c>, which holds the schema version, and the
/// entries family), over <see cref="RocksDbNative"/>. Errors are thrown as <see cref="RocksDbNativeException"/>.
/// </summary>
internal sealed unsafe class RocksDbDatabase : IDisposable
{
    private readonly IntPtr _readOptions = RocksDbNative.ReadOptionsCreate();
    private IntPtr _db;
    private IntPtr _default;
    private IntPtr _entries;

    private RocksDbDatabase(IntPtr db, IntPtr defaultFamily, IntPtr entriesFamily)
    {
        _db = db;
        _default = defaultFamily;
        _entries = entriesFamily;
    }

    /// <summary>
    /// Opens <paramref name="path"/> with the families <c>default</c> and <paramref name="entriesFamily"/>, read-only
    /// when <paramref name="readOnly"/> (no LOCK taken; the logs replayed into memory only); <paramref name="configure"/>
    /// sets the database's options (a <c>rocksdb_options_t*</c>).
    /// </summary>
    public static RocksDbDatabase Open(string path, string entriesFamily, Action<IntPtr> configure, bool readOnly)
    {
        var options = RocksDbNative.OptionsCreate();
        var familyOptions = RocksDbNative.OptionsCreate();
        try
        {
            configure(options);
            var name = RocksDbNative.Utf8z(path);
            var defaultName = RocksDbNative.Utf8z("default");
            var entriesName = RocksDbNative.Utf8z(entriesFamily);
            fixed (byte* namePointer = name, defaultPointer = defaultName, entriesPointer = entriesName)
            {
                var names = stackalloc byte*[] { defaultPointer, entriesPointer };
                var perFamily = stackalloc IntPtr[] { familyOptions, familyOptions };
                var handles = stackalloc IntPtr[2];
                IntPtr error;
                var db = readOnly
                    ? RocksDbNative.OpenForReadOnlyColumnFamilies(options, namePointer, 2, names, perFamily, handles, 0, out error)
                    : RocksDbNative.OpenColumnFamilies(options, namePointer, 2, names, perFamily, handles, out error);
                RocksDbNative.ThrowIfError(error);
                return new RocksDbDatabase(db, handles[0], handles[1]);
            }
        }
        finally
        {
            RocksDbNative.OptionsDestroy(familyOptions);
            RocksDbNative.OptionsDestroy(options);
        }
    }

    public ulong LatestSequenceNumber => RocksDbNative.GetLatestSequenceNumber(Handle());

    /// <summary>The value of <paramref name="key"/> in the default family, or null.</summary>
    public byte[]? GetDefault(ReadOnlySpan<byte> key) => Get(_default, key);

    /// <summary>The value of <paramref name="key"/> in the entries family, or null.</summary>
    public byte[]? GetEntry(ReadOnlySpan<byte> key) => Get(_entries, key);

    public void PutDefault(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, IntPtr writeOptions)
    {
        fixed (byte* k = key, v = value)
        {
            RocksDbNative.PutCf(Handle(), writeOptions, _default, k, (nuint)key.Length, v, (nuint)value.Length, out var error);
            RocksDbNative.ThrowIfError(error);
        }
    }

    /// <summary>Writes puts (a value) and deletes (null) to the entries family in one batch.</summary>
    public void WriteEntries(IEnumerable<(byte[] Key, byte[]? Value)> changes, IntPtr writeOptions)
    {
        var batch = RocksDbNative.WriteBatchCreate();
        try
        {
            foreach (var (key, value) in changes)
            {
                fixed (byte* k = key, v = value)
                {
                    if (value is null)
                    {
                        RocksDbNative.WriteBatchDeleteCf(batch, _entries, k, (nuint)key.Length);
                    }
                    else
                    {
                        RocksDbNative.WriteBatchPutCf(batch, _entries, k, (nuint)key.Length, v, (nuint)value.Length);
                    }
                }
            }

            RocksDbNative.Write(Handle(), writeOptions, batch, out var error);
            RocksDbNative.ThrowIfError(error);
        }
        finally
        {
            RocksDbNative.WriteBatchDestroy(batch);
        }
    }

    /// <summary>An iterator over the entries family, read with <paramref name="readOptions"/>.</summary>
    public RocksDbEntryIterator IterateEntries(IntPtr readOptions) => new(RocksDbNative.CreateIteratorCf(Handle(), readOptions, _entries));

    /// <summary>Flushes both families' memtables to table files, waiting for the flush.</summary>
    public void FlushAll()
    {
        var options = RocksDbNative.FlushOptionsCreate();
        try
        {
            RocksDbNative.FlushOptionsSetWait(options, 1);
            foreach (var family in (ReadOnlySpan<IntPtr>)[_entries, _default])
            {
                RocksDbNative.FlushCf(Handle(), options, family, out var error);
                RocksDbNative.ThrowIfError(error);
            }
        }
        finally
        {
            RocksDbNative.FlushOptionsDestroy(options);
        }
    }

    /// <summary>A RocksDB checkpoint of the database in <paramref name="directory"/> (which must not exist).</summary>
    public void Checkpoint(string directory)
    {
        var checkpoint = RocksDbNative.CheckpointObjectCreate(Handle(), out var error);
        RocksDbNative.ThrowIfError(error);
        try
        {
            fixed (byte* path = RocksDbNative.Utf8z(directory))
            {
                RocksDbNative.CheckpointCreate(checkpoint, path, 0, out error);
                RocksDbNative.ThrowIfError(error);
            }
        }
        finally
        {
            RocksDbNative.CheckpointObjectDestroy(checkpoint);
        }
    }

    public void Dispose()
    {
        if (_db == IntPtr.Zero)
        {
            return;
        }

        RocksDbNative.ColumnFamilyHandleDestroy(_entries);
        RocksDbNative.ColumnFamilyHandleDestroy(_default);
        RocksDbNative.Close(_db);
        RocksDbNative.ReadOptionsDestroy(_readOptions);
        _db = _default = _entries = IntPtr.Zero;
    }

    private byte[]? Get(IntPtr family, ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            var value = RocksDbNative.GetCf(Handle(), _readOptions, family, k, (nuint)key.Length, out var length, out var error);
            RocksDbNative.ThrowIfError(error);
            if (value == IntPtr.Zero)
            {
                return null;
            }

            try
            {
                return new ReadOnlySpan<byte>((void*)value, checked((int)length)).ToArray();
            }
            finally
            {
                RocksDbNative.Free(value);
            }
        }
    }

    private IntPtr Handle() =>
        _db != IntPtr.Zero ? _db : throw new ObjectDisposedException(nameof(RocksDbDatabase));
}
