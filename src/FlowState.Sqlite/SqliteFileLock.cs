using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FlowState.Sqlite;

/// <summary>
/// The lock that keeps a second FlowState store off a SQLite file. On Linux it is an open-file-description lock
/// (<c>F_OFD_SETLK</c>) on the database file itself, on a byte far past SQLite's own lock bytes: it belongs to the file
/// (its inode), so it holds whichever path reaches the file (a symbolic or hard link), it is released by the OS when
/// the process dies, and unlike classic POSIX locks no other descriptor's close releases it. Tools that merely read or
/// copy the file are not stopped. Elsewhere it is a flock on a side file <c>{path}.lock</c>.
/// </summary>
internal sealed partial class SqliteFileLock : IDisposable
{
    private const int OfdSetLock = 37; // F_OFD_SETLK
    private const short WriteLock = 1; // F_WRLCK
    private const long LockByte = 0x7FFF_FFFF_FFFF_0000; // past SQLite's lock bytes (at 1 GiB) and any real data

    private static readonly TimeSpan BusyRetry = TimeSpan.FromSeconds(2);
    private readonly FileStream _file;

    private SqliteFileLock(FileStream file) => _file = file;

    /// <exception cref="StateBackendException">The file is in use by another store, or cannot be opened (with the real cause).</exception>
    public static SqliteFileLock Acquire(string path)
    {
        var identityLock = OperatingSystem.IsLinux();
        var lockPath = identityLock ? path : path + ".lock";
        FileStream file;
        try
        {
            file = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, identityLock ? FileShare.ReadWrite : FileShare.None);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new StateBackendException($"SQLite file '{path}' cannot be created: its folder '{Path.GetDirectoryName(Path.GetFullPath(path))}' does not exist. Create the folder or choose another path.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new StateBackendException($"SQLite file '{path}' cannot be opened for writing ({ex.Message}): check the permissions of the file and its folder, and that the file system is not read-only.", ex);
        }
        catch (IOException ex) when (!identityLock && File.Exists(lockPath))
        {
            throw InUse(path, ex);
        }
        catch (IOException ex)
        {
            throw new StateBackendException($"SQLite file '{path}' cannot be opened for writing: {ex.Message}", ex);
        }

        if (identityLock)
        {
            // A child process forked by this one between its fork and its exec shares the descriptor, and with it the
            // lock of a store that just closed: such a holder goes within milliseconds, so a busy lock is tried again
            // for a moment before the store is reported in use.
            var request = new FileLockRequest { Type = WriteLock, Whence = 0, Start = LockByte, Length = 1 };
            var waited = System.Diagnostics.Stopwatch.StartNew();
            int result;
            while ((result = Fcntl(file.SafeFileHandle, OfdSetLock, ref request)) != 0 && waited.Elapsed < BusyRetry && Marshal.GetLastPInvokeError() is 11 or 13)
            {
                Thread.Sleep(10);
                request = new FileLockRequest { Type = WriteLock, Whence = 0, Start = LockByte, Length = 1 };
            }

            if (result != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                file.Dispose();
                const int TryAgain = 11, AccessDenied = 13;
                throw errno is TryAgain or AccessDenied
                    ? InUse(path, null)
                    : new StateBackendException($"SQLite file '{path}' could not be locked (errno {errno}); its file system may not support locks.");
            }
        }

        return new SqliteFileLock(file);
    }

    public void Dispose() => _file.Dispose();

    private static StateBackendException InUse(string path, Exception? cause) =>
        new($"SQLite file '{path}' is in use by another FlowState store (in this or another process; links to the same file count as the same file). Close that store first.", cause!);

    [StructLayout(LayoutKind.Sequential)]
    private struct FileLockRequest
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeFileHandle fd, int command, ref FileLockRequest request);
}
