namespace FlowState.Redis;

/// <summary>Shares the FlowState services' state through Redis.</summary>
public static class RedisFlowStateBuilderExtensions
{
    /// <summary>
    /// Shares state through the Redis server <paramref name="configuration"/> names (a StackExchange.Redis
    /// configuration string), under <paramref name="keyPrefix"/>: <see cref="IStateStore"/> is a <see cref="SharedStateStore"/>.
    /// </summary>
    public static FlowStateBuilder UseRedis(this FlowStateBuilder builder, string configuration, string keyPrefix = "flowstate")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        return builder.UseRedis(new RedisSharedStateBackendOptions { Configuration = configuration, KeyPrefix = keyPrefix });
    }

    /// <summary>Shares state through Redis with the given options.</summary>
    public static FlowStateBuilder UseRedis(this FlowStateBuilder builder, RedisSharedStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseSharedBackend(_ => new RedisSharedStateBackend(options));
    }
}
