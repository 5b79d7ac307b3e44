using Microsoft.Extensions.Logging;

namespace FlowState;

/// <summary>Log messages of the engine (source-generated).</summary>
internal static partial class StateStoreLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "The eviction callback failed for key '{Key}' in scope '{ScopePath}' ({Reason}); the store carries on.")]
    public static partial void EvictionCallbackFailed(ILogger logger, Exception exception, string key, string scopePath, EvictionReason reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Store '{StoreName}': the backend failed, so {Changes} changes after version {AppliedVersion} were undone in memory; writes are refused until the store is reopened.")]
    public static partial void RolledBackUndurable(ILogger logger, string storeName, int changes, long appliedVersion, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Store '{StoreName}': its high-water mark '{MarkPath}' cannot be created; the store goes on, but nothing will tell if it comes back older than it acknowledged.")]
    public static partial void HighWaterMarkFailed(ILogger logger, Exception exception, string storeName, string markPath);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "The paged-out value of evicted key '{Key}' in scope '{ScopePath}' could not be read back; the eviction callback is not called for it.")]
    public static partial void EvictedValueUnreadable(ILogger logger, Exception exception, string key, string scopePath);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Store '{StoreName}': a backend transaction on {Backend} took {ElapsedMs:F0} ms ({Commits} commits, {Changes} changes, durability {Durability}); writers waited for it.")]
    public static partial void SlowCommit(ILogger logger, string storeName, string backend, double elapsedMs, int commits, int changes, Durability durability);
}
