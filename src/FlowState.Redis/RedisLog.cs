using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FlowState.Redis;

internal static partial class RedisLog
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Redis store '{Prefix}' connected to {Endpoints} (an fsync per write: {FsyncsEveryWrite}, empty when the server refuses CONFIG).")]
    public static partial void Connected(ILogger logger, string prefix, EndPoint[] endpoints, bool? fsyncsEveryWrite);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Redis store '{Prefix}': the connection to {Endpoint} failed ({FailureType}); StackExchange.Redis reconnects, and the change feed catches up from its stream once it is back (without one, it ends so that watchers learn they may have missed changes).")]
    public static partial void ConnectionFailed(ILogger logger, Exception? exception, string prefix, EndPoint? endpoint, ConnectionFailureType failureType);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Redis store '{Prefix}': the connection to {Endpoint} is back.")]
    public static partial void ConnectionRestored(ILogger logger, string prefix, EndPoint? endpoint);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Redis store '{Prefix}': a read failed ({Error}); retry {Attempt} in {DelayMs:F0} ms.")]
    public static partial void ReadRetried(ILogger logger, string prefix, string error, int attempt, double delayMs);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Redis store '{Prefix}': the change feed caught up on {Count} change(s) from its stream, through change {Sequence}.")]
    public static partial void FeedCaughtUp(ILogger logger, string prefix, int count, long sequence);
}
