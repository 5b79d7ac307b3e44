using Microsoft.Extensions.Logging;

namespace FlowState.RocksDb;

internal static partial class RocksDbLog
{
    [LoggerMessage(EventId = 350, Level = LogLevel.Information, Message = "RocksDB directory '{Path}' opened{Mode} in {ElapsedMs:F0} ms.")]
    public static partial void Opened(ILogger logger, string path, string mode, double elapsedMs);

    [LoggerMessage(EventId = 351, Level = LogLevel.Debug, Message = "RocksDB directory '{Path}' flushed and closed.")]
    public static partial void Closed(ILogger logger, string path);

    [LoggerMessage(EventId = 352, Level = LogLevel.Warning, Message = "RocksDB directory '{Path}': flushing at close failed ({Error}); everything written is in its write-ahead log, which the next open replays.")]
    public static partial void FlushAtCloseFailed(ILogger logger, string path, string error);
}
