using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;

namespace FlowState;

/// <summary>
/// The highest version a file backend acknowledged, kept in a file beside the storage (see
/// <see cref="IHighWaterMarkedStateBackend"/>). It records two marks: what was acknowledged at
/// <see cref="Durability.Machine"/> (fsynced, so it survives power loss) and what was acknowledged at all (in the OS's
/// cache, so it survives a killed process but not power loss), with the boot the second belongs to. At open the store
/// must hold the second if the machine has not restarted since, and the first otherwise.
/// </summary>
/// <remarks>
/// The mark is written after the backend's write returned, so it never runs ahead of the storage. It is a page of the
/// file mapped into memory: advancing it is a copy of 48 bytes, and the OS's cache holds it once written (a killed
/// process keeps it), where a write call per group commit cost RocksDB 18% of its single-writer rate. It is never
/// fsynced while the store is open: after power loss it may be older than the storage, which weakens the check but
/// never makes it refuse a sound store. A torn or foreign file fails its checksum and is treated as no mark.
/// </remarks>
internal sealed class StateHighWaterMark : IDisposable
{
    private const int Length = 48;
    private const int PageLength = 4096;
    private static readonly byte[] Magic = "FSHWMRK1"u8.ToArray();
    private static readonly Lazy<Guid> CurrentBootId = new(ReadBootId);

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte[] _buffer = new byte[Length];
    private long _machineVersion;
    private long _processVersion;

    private StateHighWaterMark(MemoryMappedFile file, long machineVersion, long processVersion)
    {
        _file = file;
        _view = file.CreateViewAccessor(0, Length);
        _machineVersion = machineVersion;
        _processVersion = processVersion;
    }

    /// <summary>The mark at <paramref name="path"/>, or null when there is none (or it is unreadable or damaged).</summary>
    public static Snapshot? Read(string path)
    {
        Span<byte> bytes = stackalloc byte[Length];
        int read;
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read = RandomAccess.Read(file, bytes, 0);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return null;
        }

        if (read != Length || !bytes[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadUInt64LittleEndian(bytes[40..]) != XxHash64.HashToUInt64(bytes[..40]))
        {
            return null;
        }

        return new Snapshot(
            BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]),
            new Guid(bytes[24..40]));
    }

    /// <summary>
    /// Opens <paramref name="path"/> for advancing the mark: from what the store holds (<paramref name="stored"/>: in
    /// the OS's cache at least) and, at <see cref="Durability.Machine"/>, from the last mark that was fsynced (what
    /// the store held before may not have been).
    /// </summary>
    /// <exception cref="IOException">The mark's file cannot be created or written.</exception>
    /// <exception cref="UnauthorizedAccessException">The mark's file or its folder is not writable.</exception>
    public static StateHighWaterMark Open(string path, long stored, long fsynced)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        MemoryMappedFile? file = null;
        try
        {
            // Real blocks under the whole mapped page, written now: a page over a hole would need a block when it is
            // first touched through the mapping, and on a full disk that is a SIGBUS, not an IOException.
            if (stream.Length < PageLength)
            {
                RandomAccess.Write(stream.SafeFileHandle, new byte[PageLength], 0);
            }

            file = MemoryMappedFile.CreateFromFile(stream, null, PageLength, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            var mark = new StateHighWaterMark(file, fsynced, stored);
            mark.Write();
            return mark;
        }
        catch
        {
            if (file is null)
            {
                stream.Dispose();
            }
            else
            {
                file.Dispose();
            }

            throw;
        }
    }

    /// <summary>Writes a mark as <see cref="Open"/> would, for a machine that booted as <paramref name="bootId"/> (tests stand in for a restart).</summary>
    internal static void WriteFile(string path, long machineVersion, long processVersion, Guid bootId)
    {
        using var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[Length];
        Encode(bytes, machineVersion, processVersion, bootId);
        RandomAccess.Write(file, bytes, 0);
    }

    /// <summary>
    /// The version a store must hold, going by this mark: everything acknowledged when the machine has not restarted
    /// since, only what was fsynced when it has (or when the boot cannot be told).
    /// </summary>
    public static long Required(Snapshot mark) =>
        mark.BootId != Guid.Empty && mark.BootId == CurrentBootId.Value ? mark.ProcessVersion : mark.MachineVersion;

    /// <summary>Records that the backend acknowledged every version up to <paramref name="version"/> at <paramref name="durability"/>.</summary>
    public void Advance(long version, Durability durability)
    {
        if ((version <= _processVersion && (durability != Durability.Machine || version <= _machineVersion)))
        {
            return;
        }

        _processVersion = Math.Max(_processVersion, version);
        if (durability == Durability.Machine)
        {
            _machineVersion = Math.Max(_machineVersion, version);
        }

        Write();
    }

    /// <summary>Closes the mark; one fsynced at <see cref="Durability.Machine"/> is made durable itself, so that power loss after a clean close keeps it.</summary>
    public void Dispose()
    {
        try
        {
            if (_machineVersion > 0)
            {
                _view.Flush();
            }
        }
        catch (IOException)
        {
            // A mark left behind weakens the next check and harms nothing: the data is durable.
        }
        finally
        {
            _view.Dispose();
            _file.Dispose();
        }
    }

    private static void Encode(Span<byte> bytes, long machineVersion, long processVersion, Guid bootId)
    {
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], machineVersion);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[16..], processVersion);
        bootId.TryWriteBytes(bytes[24..40]);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[40..], XxHash64.HashToUInt64(bytes[..40]));
    }

    private static Guid ReadBootId()
    {
        try
        {
            return OperatingSystem.IsLinux() && Guid.TryParse(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), out var id) ? id : Guid.Empty;
        }
        catch (IOException)
        {
            return Guid.Empty;
        }
    }

    private void Write()
    {
        Encode(_buffer, _machineVersion, _processVersion, CurrentBootId.Value);
        _view.WriteArray(0, _buffer, 0, Length);
    }

    /// <summary>A mark as read from its file.</summary>
    public readonly record struct Snapshot(long MachineVersion, long ProcessVersion, Guid BootId);
}
