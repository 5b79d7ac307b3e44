using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlowState.Streaming;

/// <summary>Registers stream pipelines that run for the life of a .NET host.</summary>
public static class StreamPipelineServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="StreamPipelineHostedService"/> that runs the pipeline <paramref name="build"/> makes (once,
    /// when the host starts; the service provider is there for the store, loggers and options).
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddFlowState(f => f.UseSqlite("state.db"));
    /// services.AddStreamPipeline(provider => new StreamPipelineBuilder("clicks")
    ///     .AddSource(new JsonLinesFileSource("clicks", "clicks.jsonl") { KeyField = "user", Follow = true })
    ///     .AddProcessor(new SessionWindowProcessor("sessions", TimeSpan.FromMinutes(10)))
    ///     .AddSink(new JsonLinesFileSink("out", "out/sessions"))
    ///     .WithCheckpoints(new DirectoryCheckpointStorage("checkpoints/clicks"), TimeSpan.FromSeconds(5))
    ///     .Build());
    /// </code>
    /// </example>
    public static IServiceCollection AddStreamPipeline(this IServiceCollection services, Func<IServiceProvider, StreamPipeline> build, Action<StreamPipelineHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(build);
        var options = new StreamPipelineHostOptions();
        configure?.Invoke(options);
        services.AddSingleton<IHostedService>(provider => new StreamPipelineHostedService(
            build(provider), options, provider.GetService<ILogger<StreamPipelineHostedService>>()));
        return services;
    }
}
