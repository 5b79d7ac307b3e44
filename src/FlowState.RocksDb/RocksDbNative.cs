using System.Runtime.InteropServices;

namespace FlowState.RocksDb;

/// <summary>
/// The functions of RocksDB's C API this backend calls, bound at compile time (source-generated P/Invoke) against the
/// native library the RocksDB package ships. RocksDbSharp's own binding (<c>Native.Instance</c>) emits a type for all
/// 2,132 functions of the API at first use, which costs every process that opens a store 0.5–0.6 s of processor time.
/// </summary>
internal static unsafe partial class RocksDbNative
{
    private const string Library = "rocksdb";

    static RocksDbNative() => NativeLibrary.SetDllImportResolver(typeof(RocksDbNative).Assembly, Resolve);

    [LibraryImport(Library, EntryPoint = "rocksdb_options_create")]
    public static partial IntPtr OptionsCreate();

    [LibraryImport(Library, EntryPoint = "rocksdb_options_destroy")]
    public static partial void OptionsDestroy(IntPtr options);

    [LibraryImport(Library, EntryPoint = "rocksdb_options_set_create_if_missing")]
    public static partial void OptionsSetCreateIfMissing(IntPtr options, byte value);

    [LibraryImport(Library, EntryPoint = "rocksdb_options_set_create_missing_column_families")]
    public static partial void OptionsSetCreateMissingColumnFamilies(IntPtr options, byte value);

    [LibraryImport(Library, EntryPoint = "rocksdb_options_set_paranoid_checks")]
    public static partial void OptionsSetParanoidChecks(IntPtr options, byte value);

    [LibraryImport(Library, EntryPoint = "rocksdb_options_set_keep_log_file_num")]
    public static partial void OptionsSetKeepLogFileNum(IntPtr options, nuint value);

    [LibraryImport(Library, EntryPoint = "rocksdb_options_set_wal_recovery_mode")]
    public static partial void OptionsSetWalRecoveryMode(IntPtr options, int mode);

    [LibraryImport(Library, EntryPoint = "rocksdb_options_set_track_and_verify_wals_in_manifest")]
    public static partial void OptionsSetTrackAndVerifyWalsInManifest(IntPtr options, byte value);

    [LibraryImport(Library, EntryPoint = "rocksdb_open_column_families")]
    public static partial IntPtr OpenColumnFamilies(IntPtr options, byte* name, int count, byte** names, IntPtr* familyOptions, IntPtr* handles, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "rocksdb_open_for_read_only_column_families")]
    public static partial IntPtr OpenForReadOnlyColumnFamilies(IntPtr options, byte* name, int count, byte** names, IntPtr* familyOptions, IntPtr* handles, byte errorIfWalFileExists, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "rocksdb_column_family_handle_destroy")]
    public static partial void ColumnFamilyHandleDestroy(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "rocksdb_close")]
    public static partial void Close(IntPtr db);

    [LibraryImport(Library, EntryPoint = "rocksdb_readoptions_create")]
    public static partial IntPtr ReadOptionsCreate();

    [LibraryImport(Library, EntryPoint = "rocksdb_readoptions_destroy")]
    public static partial void ReadOptionsDestroy(IntPtr options);

    [LibraryImport(Library, EntryPoint = "rocksdb_readoptions_set_verify_checksums")]
    public static partial void ReadOptionsSetVerifyChecksums(IntPtr options, byte value);

    [LibraryImport(Library, EntryPoint = "rocksdb_readoptions_set_fill_cache")]
    public static partial void ReadOptionsSetFillCache(IntPtr options, byte value);

    [LibraryImport(Library, EntryPoint = "rocksdb_writeoptions_create")]
    public static partial IntPtr WriteOptionsCreate();

    [LibraryImport(Library, EntryPoint = "rocksdb_writeoptions_destroy")]
    public static partial void WriteOptionsDestroy(IntPtr options);

    [LibraryImport(Library, EntryPoint = "rocksdb_writeoptions_set_sync")]
    public static partial void WriteOptionsSetSync(IntPtr options, byte value);

    [LibraryImport(Library, EntryPoint = "rocksdb_get_cf")]
    public static partial IntPtr GetCf(IntPtr db, IntPtr options, IntPtr family, byte* key, nuint keyLength, out nuint valueLength, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "rocksdb_put_cf")]
    public static partial void PutCf(IntPtr db, IntPtr options, IntPtr family, byte* key, nuint keyLength, byte* value, nuint valueLength, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "rocksdb_write")]
    public static partial void Write(IntPtr db, IntPtr options, IntPtr batch, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "rocksdb_writebatch_create")]
    public static partial IntPtr WriteBatchCreate();

    [LibraryImport(Library, EntryPoint = "rocksdb_writebatch_destroy")]
    public static partial void WriteBatchDestroy(IntPtr batch);

    [LibraryImport(Library, EntryPoint = "rocksdb_writebatch_put_cf")]
    public static partial void WriteBatchPutCf(IntPtr batch, IntPtr family, byte* key, nuint keyLength, byte* value, nuint valueLength);

    [LibraryImport(Library, EntryPoint = "rocksdb_writebatch_delete_cf")]
    public static partial void WriteBatchDeleteCf(IntPtr batch, IntPtr family, byte* key, nuint keyLength);

    [LibraryImport(Library, EntryPoint = "rocksdb_create_iterator_cf")]
    public static partial IntPtr CreateIteratorCf(IntPtr db, IntPtr options, IntPtr family);

    [LibraryImport(Library, EntryPoint = "rocksdb_iter_seek")]
    public static partial void IteratorSeek(IntPtr iterator, byte* key, nuint keyLength);

    [LibraryImport(Library, EntryPoint = "rocksdb_iter_valid")]
    public static partial byte IteratorValid(IntPtr iterator);

    [LibraryImport(Library, EntryPoint = "rocksdb_iter_key")]
    public static partial byte* IteratorKey(IntPtr iterator, out nuint length);

    [LibraryImport(Library, EntryPoint = "rocksdb_iter_value")]
    public static partial byte* IteratorValue(IntPtr iterator, out nuint length);

    [LibraryImport(Library, EntryPoint = "rocksdb_iter_next")]
    public static partial void IteratorNext(IntPtr iterator);

    [LibraryImport(Library, EntryPoint = "rocksdb_iter_get_error")]
    public static partial void IteratorGetError(IntPtr iterator, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "rocksdb_iter_destroy")]
    public static partial void IteratorDestroy(IntPtr iterator);

    [LibraryImport(Library, EntryPoint = "rocksdb_flushoptions_create")]
    public static partial IntPtr FlushOptionsCreate();

    [LibraryImport(Library, EntryPoint = "rocksdb_flushoptions_destroy")]
    public static partial void FlushOptionsDestroy(IntPtr options);

    [LibraryImport(Library, EntryPoint = "rocksdb_flushoptions_set_wait")]
    public static partial void FlushOptionsSetWait(IntPtr options, byte value);

    [LibraryImport(Library, EntryPoint = "rocksdb_flush_cf")]
    public static partial void FlushCf(IntPtr db, IntPtr options, IntPtr family, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "rocksdb_get_latest_sequence_number")]
    public static partial ulong GetLatestSequenceNumber(IntPtr db);

    [LibraryImport(Library, EntryPoint = "rocksdb_checkpoint_object_create")]
    public static partial IntPtr CheckpointObjectCreate(IntPtr db, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "rocksdb_checkpoint_create")]
    public static partial void CheckpointCreate(IntPtr checkpoint, byte* directory, ulong logSizeForFlush, out IntPtr error);

    [LibraryImport(Library, EntryPoint = "rocksdb_checkpoint_object_destroy")]
    public static partial void CheckpointObjectDestroy(IntPtr checkpoint);

    [LibraryImport(Library, EntryPoint = "rocksdb_free")]
    public static partial void Free(IntPtr pointer);

    /// <summary>Throws the error RocksDB reported through an <c>errptr</c>, after freeing its message.</summary>
    public static void ThrowIfError(IntPtr error)
    {
        if (error == IntPtr.Zero)
        {
            return;
        }

        var message = Marshal.PtrToStringUTF8(error) ?? "unknown error";
        Free(error);
        throw new RocksDbNativeException(message);
    }

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="text"/>, for the API's <c>const char*</c> names.</summary>
    public static byte[] Utf8z(string text)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    // The package ships its Linux builds side by side in one folder: librocksdb.so (glibc), which the runtime finds by
    // itself, and librocksdb-musl.so, which it does not: on musl (Alpine) that one is loaded by name.
    private static IntPtr Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name == Library && OperatingSystem.IsLinux() && RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal)
            && NativeLibrary.TryLoad("librocksdb-musl.so", assembly, searchPath, out var musl))
        {
            return musl;
        }

        return IntPtr.Zero;
    }
}
