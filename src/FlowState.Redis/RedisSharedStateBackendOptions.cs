using Microsoft.Extensions.Logging;

namespace FlowState.Redis;

/// <summary>Options of <see cref="RedisSharedStateBackend"/>.</summary>
public sealed class RedisSharedStateBackendOptions
{
    /// <summary>The StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> (required unless a connection is passed).</summary>
    public string Configuration { get; set; } = string.Empty;

    /// <summary>
    /// The prefix of every Redis key and channel of the store (default <c>flowstate</c>); stores with different prefixes
    /// share a server without seeing each other.
    /// </summary>
    public string KeyPrefix { get; set; } = "flowstate";

    /// <summary>How many entries a scan reads per round trip (default 256).</summary>
    public int ScanBatchSize { get; set; } = 256;

    /// <summary>Where the backend logs connecting, lost and restored connections, and retried reads; null: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    // A copy for one service provider: the caller's options stay as they were (and are not tied to that provider's loggers).
    internal RedisSharedStateBackendOptions WithLoggerFactory(ILoggerFactory? loggerFactory)
    {
        var copy = (RedisSharedStateBackendOptions)MemberwiseClone();
        copy.LoggerFactory ??= loggerFactory;
        return copy;
    }
}
