using Amazon.S3;
using FlowState.Checkpoints;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace FlowState.S3;

/// <summary>Registers S3 as the checkpoint storage of the FlowState services.</summary>
public static class S3FlowStateBuilderExtensions
{
    /// <summary>
    /// Registers an <see cref="S3CheckpointStorage"/> as the <see cref="ICheckpointStorage"/> service (a singleton the
    /// container disposes), for stream pipelines: <c>.WithCheckpoints(provider.GetRequiredService&lt;ICheckpointStorage&gt;())</c>.
    /// Give each pipeline its own <see cref="S3CheckpointStorageOptions.Prefix"/>. On a keyed store the storage is keyed alike.
    /// </summary>
    public static FlowStateBuilder UseS3Checkpoints(this FlowStateBuilder builder, Action<S3CheckpointStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.TryAddKeyedSingleton<ICheckpointStorage>(builder.Key, (provider, _) =>
        {
            var options = new S3CheckpointStorageOptions { LoggerFactory = provider.GetService<ILoggerFactory>() };
            configure(options);
            return new S3CheckpointStorage(options);
        });
        return builder;
    }

    /// <summary>
    /// As <see cref="UseS3Checkpoints(FlowStateBuilder, Action{S3CheckpointStorageOptions})"/>, on an S3 client the app
    /// registered itself (as .NET Aspire's and the AWS SDK's integrations do): <paramref name="client"/> picks it from
    /// the services, e.g. <c>provider =&gt; provider.GetRequiredService&lt;IAmazonS3&gt;()</c>. The storage uses it and
    /// leaves it open; the options' endpoint, region and credentials are the client's business then.
    /// </summary>
    public static FlowStateBuilder UseS3Checkpoints(this FlowStateBuilder builder, Func<IServiceProvider, IAmazonS3> client, Action<S3CheckpointStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.TryAddKeyedSingleton<ICheckpointStorage>(builder.Key, (provider, _) =>
        {
            var options = new S3CheckpointStorageOptions { LoggerFactory = provider.GetService<ILoggerFactory>() };
            configure(options);
            return new S3CheckpointStorage(client(provider), options);
        });
        return builder;
    }

    /// <summary>
    /// As <see cref="UseS3Checkpoints(FlowStateBuilder, Action{S3CheckpointStorageOptions})"/>, with the options read from a
    /// configuration section: <c>Bucket</c>, <c>Prefix</c>, <c>Region</c>, <c>Endpoint</c>, <c>UseSsl</c>,
    /// <c>AccessKey</c>, <c>SecretKey</c>, <c>ClaimTimeout</c> (a time span). Credentials left out come from the AWS SDK's
    /// usual chain (environment, profile, instance role).
    /// </summary>
    /// <exception cref="ArgumentException">A key is none of these or a value does not convert (when the storage is first resolved), naming the key.</exception>
    public static FlowStateBuilder UseS3Checkpoints(this FlowStateBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return builder.UseS3Checkpoints(options =>
        {
            var settings = FlowStateConfiguration.Bind<S3Settings>(section, "the S3 checkpoint storage");
            options.Bucket = settings.Bucket ?? options.Bucket;
            options.Prefix = settings.Prefix ?? options.Prefix;
            options.Region = settings.Region ?? options.Region;
            options.Endpoint = settings.Endpoint ?? options.Endpoint;
            options.AccessKey = settings.AccessKey ?? options.AccessKey;
            options.SecretKey = settings.SecretKey ?? options.SecretKey;
            options.UseSsl = settings.UseSsl ?? options.UseSsl;
            options.ClaimTimeout = settings.ClaimTimeout ?? options.ClaimTimeout;
        });
    }
}
