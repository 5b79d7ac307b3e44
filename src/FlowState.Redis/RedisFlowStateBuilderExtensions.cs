using StackExchange.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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

    /// <summary>
    /// Shares state through Redis as a configuration section says (for example <c>FlowState:Redis</c> of
    /// appsettings.json): <c>Configuration</c> (required, a StackExchange.Redis configuration string), <c>KeyPrefix</c>,
    /// <c>ScanBatchSize</c>, <c>ChangeRetention</c>, <c>ReconnectTimeout</c>, <c>IncludePreviousValues</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The section has no <c>Configuration</c>, a key is none of these, or a value does not convert.</exception>
    public static FlowStateBuilder UseRedis(this FlowStateBuilder builder, IConfiguration section)
    {
        var settings = FlowStateConfiguration.Bind<RedisSettings>(section, "the Redis backend");
        var options = new RedisSharedStateBackendOptions { Configuration = FlowStateConfiguration.Required(section, "Configuration", "the Redis server, e.g. 127.0.0.1:6379") };
        options.KeyPrefix = settings.KeyPrefix ?? options.KeyPrefix;
        options.ScanBatchSize = settings.ScanBatchSize ?? options.ScanBatchSize;
        options.ChangeRetention = settings.ChangeRetention ?? options.ChangeRetention;
        options.ReconnectTimeout = settings.ReconnectTimeout ?? options.ReconnectTimeout;
        options.IncludePreviousValues = settings.IncludePreviousValues ?? options.IncludePreviousValues;
        return builder.UseRedis(options);
    }

    /// <summary>
    /// Shares state through a Redis connection the app registered itself (as .NET Aspire's Redis client integration
    /// does): <paramref name="connection"/> picks it from the services, e.g.
    /// <c>provider =&gt; provider.GetRequiredService&lt;IConnectionMultiplexer&gt;()</c>. The store uses it and leaves it open.
    /// </summary>
    public static FlowStateBuilder UseRedis(this FlowStateBuilder builder, Func<IServiceProvider, IConnectionMultiplexer> connection, string keyPrefix = "flowstate")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        return builder.UseSharedBackend(provider => new RedisSharedStateBackend(
            connection(provider),
            new RedisSharedStateBackendOptions { KeyPrefix = keyPrefix, LoggerFactory = provider.GetService<ILoggerFactory>() }));
    }

    /// <summary>Shares state through Redis with the given options (logging to the app's loggers unless they name a logger factory).</summary>
    public static FlowStateBuilder UseRedis(this FlowStateBuilder builder, RedisSharedStateBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseSharedBackend(provider => new RedisSharedStateBackend(options.WithLoggerFactory(provider.GetService<ILoggerFactory>())));
    }
}
