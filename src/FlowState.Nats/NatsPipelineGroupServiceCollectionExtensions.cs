using FlowState.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlowState.Nats;

/// <summary>Registers a <see cref="NatsPipelineGroup"/> member that runs for the life of a .NET host.</summary>
public static class NatsPipelineGroupServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="NatsPipelineGroupHostedService"/> (keyed by the group's name) running a member of the
    /// group <paramref name="configure"/> describes, connected to <paramref name="url"/>; <paramref name="build"/> makes
    /// the pipeline of each partition the member takes.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddNatsPipelineGroup("nats://127.0.0.1:4222", o => { o.Group = "orders"; o.Partitions = 8; }, (provider, partition) =>
    ///     new StreamPipelineBuilder($"orders-p{partition}")
    ///         .AddSource(new NatsJetStreamSource("orders", "nats://127.0.0.1:4222", "ORDERS") { FilterSubject = $"ORDERS.p{partition}", DurableConsumer = $"orders-p{partition}" })
    ///         .AddProcessor(new CountByKeyProcessor("counts"))
    ///         .AddSink(new NatsJetStreamSink("out", "nats://127.0.0.1:4222", $"COUNTS.p{partition}"))
    ///         .WithCheckpoints(new DirectoryCheckpointStorage($"/shared/checkpoints/orders-p{partition}"), TimeSpan.FromSeconds(5))
    ///         .Build());
    /// </code>
    /// </example>
    public static IServiceCollection AddNatsPipelineGroup(this IServiceCollection services, string url, Action<NatsPipelineGroupOptions> configure, Func<IServiceProvider, int, StreamPipeline> build)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new NatsPipelineGroupOptions();
        configure(options);
        return services.AddGroup(url, options, build);
    }

    /// <summary>
    /// Registers a member as <see cref="AddNatsPipelineGroup(IServiceCollection, string, Action{NatsPipelineGroupOptions}, Func{IServiceProvider, int, StreamPipeline})"/>
    /// does, its options bound from <paramref name="section"/> (<c>Group</c>, <c>Partitions</c>, <c>MemberId</c>,
    /// <c>LeaseTime</c> as <c>00:00:10</c>).
    /// </summary>
    public static IServiceCollection AddNatsPipelineGroup(this IServiceCollection services, string url, IConfiguration section, Func<IServiceProvider, int, StreamPipeline> build)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new NatsPipelineGroupOptions();
        section.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        return services.AddGroup(url, options, build);
    }

    private static IServiceCollection AddGroup(this IServiceCollection services, string url, NatsPipelineGroupOptions options, Func<IServiceProvider, int, StreamPipeline> build)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        ArgumentNullException.ThrowIfNull(build);
        services.AddKeyedSingleton(options.Group, (provider, _) => new NatsPipelineGroupHostedService(new NatsPipelineGroup(
            url,
            options,
            partition => build(provider, partition),
            provider.GetService<ILogger<NatsPipelineGroup>>())));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredKeyedService<NatsPipelineGroupHostedService>(options.Group));
        return services;
    }
}
