using Microsoft.Extensions.Logging;

namespace FlowState.Postgres;

internal static partial class PostgresLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "PostgreSQL table '{Table}' opened ({Mode} lock) on {Host}/{Database}, after {WaitedMs:F0} ms.")]
    public static partial void Opened(ILogger logger, string table, string mode, string host, string? database, double waitedMs);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "PostgreSQL table '{Table}': another FlowState store holds its lock{Holders}; waiting up to {WaitSeconds:F1} s for it to go.")]
    public static partial void WaitingForLock(ILogger logger, string table, string holders, double waitSeconds);

    [LoggerMessage(EventId = 402, Level = LogLevel.Debug, Message = "PostgreSQL table '{Table}': the store's session closed.")]
    public static partial void Closed(ILogger logger, string table);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "PostgreSQL table '{Table}': releasing the lock on the data source's connection failed; the pool drops the connection and the server ends its session.")]
    public static partial void ReleaseFailed(ILogger logger, Exception exception, string table);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "PostgreSQL table '{Table}': a read failed ({Error}); retry {Attempt} in {DelayMs:F0} ms.")]
    public static partial void ReadRetried(ILogger logger, string table, string error, int attempt, double delayMs);

    [LoggerMessage(EventId = 405, Level = LogLevel.Error, Message = "PostgreSQL table '{Table}': the session listening for changes failed; watchers of this store get no more changes until it is opened again.")]
    public static partial void ListenFailed(ILogger logger, Exception exception, string table);

    [LoggerMessage(EventId = 406, Level = LogLevel.Warning, Message = "PostgreSQL table '{Table}': the store's session was lost ({Error}); opening a new one with the table's lock, for up to {TimeoutSeconds:F0} s.")]
    public static partial void SessionLost(ILogger logger, string table, string error, double timeoutSeconds);

    [LoggerMessage(EventId = 408, Level = LogLevel.Information, Message = "PostgreSQL table '{Table}': the change feed listens again and caught up with what was committed meanwhile, up to version {Version}.")]
    public static partial void FeedResumed(ILogger logger, string table, long version);

    [LoggerMessage(EventId = 407, Level = LogLevel.Information, Message = "PostgreSQL table '{Table}': the store's session is open again, with the table's lock; no other store wrote the table meanwhile.")]
    public static partial void SessionReopened(ILogger logger, string table);
}
