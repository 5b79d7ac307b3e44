using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FlowState.Sqlite;

/// <summary>
/// SQLite's row functions called straight into the native library that <c>Microsoft.Data.Sqlite</c> uses, for the scans
/// that read every row: a store opening reads a million rows with nine native calls each. Through SQLitePCLRaw each
/// call takes and releases a reference on the statement's <see cref="SafeHandle"/> besides (two interlocked operations),
/// an eighth to a fifth of a store's opening (docs/performance.md). Used only when the library is provably the very one
/// loaded for SQLitePCLRaw (see <see cref="From"/>); otherwise rows are read through SQLitePCLRaw.
/// </summary>
internal sealed unsafe class SqliteDirectCalls
{
    private const string LibraryName = "e_sqlite3";

    private static readonly Lazy<SqliteDirectCalls?> SharedCalls = new(Load);

    private readonly delegate* unmanaged[Cdecl]<IntPtr, int> _step;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int, byte*> _columnBlob;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> _columnBytes;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int, long> _columnInt64;

    private SqliteDirectCalls(IntPtr step, IntPtr columnBlob, IntPtr columnBytes, IntPtr columnInt64)
    {
        _step = (delegate* unmanaged[Cdecl]<IntPtr, int>)step;
        _columnBlob = (delegate* unmanaged[Cdecl]<IntPtr, int, byte*>)columnBlob;
        _columnBytes = (delegate* unmanaged[Cdecl]<IntPtr, int, int>)columnBytes;
        _columnInt64 = (delegate* unmanaged[Cdecl]<IntPtr, int, long>)columnInt64;
    }

    /// <summary>The direct calls into this process's SQLite library, or null when they cannot be proven safe.</summary>
    public static SqliteDirectCalls? Shared => SharedCalls.Value;

    /// <summary>
    /// The direct calls into <paramref name="library"/> (a loaded native library), or null unless it is the instance
    /// SQLitePCLRaw calls: its exported <c>sqlite3_version</c> must be the very string SQLitePCLRaw's
    /// <c>sqlite3_libversion()</c> returns. A second copy of the library (another path, or another bundle that happens
    /// to share its name) has state of its own — its mutexes, its allocator — and must not touch this one's statements.
    /// </summary>
    public static SqliteDirectCalls? From(IntPtr library)
    {
        if (!NativeLibrary.TryGetExport(library, "sqlite3_version", out var version)
            || !NativeLibrary.TryGetExport(library, "sqlite3_step", out var step)
            || !NativeLibrary.TryGetExport(library, "sqlite3_column_blob", out var columnBlob)
            || !NativeLibrary.TryGetExport(library, "sqlite3_column_bytes", out var columnBytes)
            || !NativeLibrary.TryGetExport(library, "sqlite3_column_int64", out var columnInt64))
        {
            return null;
        }

        fixed (byte* loaded = raw.sqlite3_libversion())
        {
            return loaded == (byte*)version ? new SqliteDirectCalls(step, columnBlob, columnBytes, columnInt64) : null;
        }
    }

    /// <summary>Steps <paramref name="statement"/> (a <c>sqlite3_stmt*</c>) to its next row.</summary>
    public int Step(IntPtr statement) => _step(statement);

    /// <summary>The bytes of a column of the current row, where SQLite holds them (valid until the next step).</summary>
    public ReadOnlySpan<byte> Blob(IntPtr statement, int column)
    {
        // The pointer first: SQLite's documented order, since reading the bytes may convert the value.
        var bytes = _columnBlob(statement, column);
        return new ReadOnlySpan<byte>(bytes, _columnBytes(statement, column));
    }

    /// <summary>A column of the current row as a 64-bit integer.</summary>
    public long Int64(IntPtr statement, int column) => _columnInt64(statement, column);

    private static SqliteDirectCalls? Load()
    {
        // Microsoft.Data.Sqlite sets SQLitePCLRaw's provider up in its connection's static constructor: run it first,
        // so the provider asked below is the one its connections use.
        RuntimeHelpers.RunClassConstructor(typeof(SqliteConnection).TypeHandle);

        // Resolved as a DllImport of this assembly would be: the same deps.json probing SQLitePCLRaw's own imports get.
        if (raw.GetNativeLibraryName() != LibraryName
            || !NativeLibrary.TryLoad(LibraryName, typeof(SqliteDirectCalls).Assembly, null, out var library))
        {
            return null;
        }

        return From(library);
    }
}
