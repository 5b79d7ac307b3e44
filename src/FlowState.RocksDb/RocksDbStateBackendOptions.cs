using Microsoft.Extensions.Logging;

namespace FlowState.RocksDb;

/// <summary>Options of <see cref="RocksDbStateBackend"/>.</summary>
public sealed class RocksDbStateBackendOptions
{
    /// <summary>The database directory; created when missing. Default: <c>flowstate.rocksdb</c> in the working directory.</summary>
    public string Path { get; set; } = "flowstate.rocksdb";

    /// <summary>
    /// Whether opening may drop an incomplete record at the end of the write-ahead log (a write torn by a power
    /// loss, never acknowledged at <see cref="Durability.Machine"/>). Default true. When false, any damage in the
    /// log fails the open with <see cref="StateCorruptedException"/>.
    /// </summary>
    public bool TolerateTornLogTail { get; set; } = true;

    /// <summary>
    /// Opens the directory for reading only (default false): the store loads what it holds and refuses every write
    /// (<see cref="StateRejectedException"/>); nothing is written, RocksDB's lock is not taken, so it can look at a
    /// store another process has open (as of the moment it opens). The directory must exist and hold a FlowState store.
    /// </summary>
    public bool ReadOnly { get; set; }

    /// <summary>The clock of the backup's completion record. Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the backend logs opening and closing; null: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    // A copy for one service provider: the caller's options stay as they were (and are not tied to that provider's loggers).
    internal RocksDbStateBackendOptions WithLoggerFactory(ILoggerFactory? loggerFactory)
    {
        var copy = (RocksDbStateBackendOptions)MemberwiseClone();
        copy.LoggerFactory ??= loggerFactory;
        return copy;
    }
}
