using Microsoft.Extensions.Logging;

namespace FlowState.Sqlite;

internal static partial class SqliteLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "SQLite file '{Path}' opened{Mode} in {ElapsedMs:F0} ms ({LoggedRows} logged changes taken back from its write-ahead log).")]
    public static partial void Opened(ILogger logger, string path, string mode, double elapsedMs, long loggedRows);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "SQLite file '{Path}': its schema was upgraded from version {From} to {To}.")]
    public static partial void SchemaUpgraded(ILogger logger, string path, long from, long to);

    [LoggerMessage(EventId = 302, Level = LogLevel.Debug, Message = "SQLite file '{Path}': {Rows} logged changes folded into the entries table in {ElapsedMs:F1} ms.")]
    public static partial void Folded(ILogger logger, string path, long rows, double elapsedMs);

    [LoggerMessage(EventId = 303, Level = LogLevel.Debug, Message = "SQLite file '{Path}' closed.")]
    public static partial void Closed(ILogger logger, string path);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "SQLite file '{Path}': folding its write-ahead log failed ({Error}); the changes stay in the log file and in memory, and the fold is tried again.")]
    public static partial void FoldFailed(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 306, Level = LogLevel.Warning, Message = "SQLite file '{Path}': its write-ahead log ends in a record a crash left unwritten or damaged (record {Sequence}); it and {Dropped} readable records after it were never all on disk and are dropped.")]
    public static partial void LogTailDropped(ILogger logger, string path, long sequence, int dropped);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "SQLite file '{Path}': folding its log at close failed ({Error}); the changes stay in the log and the next open folds them.")]
    public static partial void FoldAtCloseFailed(ILogger logger, string path, string error);
}
