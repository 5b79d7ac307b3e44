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

    /// <summary>
    /// How many changes the store keeps in its Redis Stream (<c>{P|}:feed</c>, trimmed approximately, at least this
    /// many) so that a watcher whose connection dropped catches up on what was committed meanwhile, in order, or is told
    /// it fell too far behind. Null (the default): 10,000 on a single server, 0 on Redis Cluster, where a commit's keys
    /// must share a hash slot and the stream cannot. 0: no stream; the change feed ends with an error when its
    /// connection drops. Every process of a store should use the same setting.
    /// </summary>
    public int? ChangeRetention { get; set; }

    /// <summary>
    /// How long the change feed waits for a dropped connection to come back (StackExchange.Redis reconnects by itself)
    /// before it ends with an error (default 30 seconds). Used with a change stream (<see cref="ChangeRetention"/>).
    /// </summary>
    public TimeSpan ReconnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether each published change carries the key's previous version and value
    /// (<see cref="StateChange.PreviousVersion"/>, <see cref="StateChange.PreviousValue"/> for watchers in every process;
    /// default false). It costs every commit a read of the old value and a notice twice its size, whether or not anyone
    /// watches, so it is asked for. Every writing process of a store should use the same setting.
    /// </summary>
    public bool IncludePreviousValues { get; set; }

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
