using System.Runtime.InteropServices;

namespace FlowState.Files;

/// <summary>
/// Makes a folder's entries durable: after a file is created or renamed, its name survives a power loss only once the
/// folder itself is fsynced (POSIX). On Windows, NTFS journals its metadata and there is no folder handle to flush.
/// Public for backend authors: a backend that writes a file and renames it into place at <see cref="Durability.Machine"/>
/// syncs the file, renames it, then syncs its folder with <see cref="Sync"/>.
/// </summary>
public static partial class DurableDirectory
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000; // O_DIRECTORY on Linux (x64 and arm64)
    private const int DirectoryMacOs = 0x100000;

    /// <summary>fsyncs <paramref name="path"/>, a folder.</summary>
    /// <exception cref="IOException">The folder could not be opened or synced (errno in the message).</exception>
    public static void Sync(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(path, ReadOnly | (OperatingSystem.IsMacOS() ? DirectoryMacOs : Directory));
        if (fd < 0)
        {
            throw new IOException($"Could not open the folder '{path}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (FSync(fd) != 0)
            {
                throw new IOException($"Could not sync the folder '{path}' (errno {Marshal.GetLastPInvokeError()}); what was renamed into it may not survive a power loss.");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
