using Microsoft.Extensions.Configuration;
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

    /// <summary>
    /// Registers a <see cref="StreamPipelineHostedService"/> for the pipeline a configuration section describes (the keys
    /// of a pipeline file: <c>name</c>, <c>state</c>, <c>pipeline</c>; see <see cref="StreamPipelineDefinition"/>), built
    /// on the registered <see cref="StateStore"/>. The section is read now, so a misspelled key or a bad value stops
    /// the app before it starts, naming the key's configuration path.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The pipeline's section, e.g. <c>configuration.GetSection("Pipelines:clicks")</c>.</param>
    /// <param name="components">Adds kinds of components to the core's (<c>c =&gt; c.AddRedisStreamSource()</c>).</param>
    /// <param name="configure">The hosted service's options.</param>
    /// <param name="storeKey">The key of the store (<c>AddKeyedFlowState</c>) to keep the keyed state in; null: the unkeyed store.</param>
    /// <exception cref="StreamDefinitionException">The section is not a valid pipeline.</exception>
    public static IServiceCollection AddStreamPipeline(this IServiceCollection services, IConfiguration section, Action<StreamComponentCatalog>? components = null, Action<StreamPipelineHostOptions>? configure = null, string? storeKey = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        var catalog = StreamComponentCatalog.CreateDefault();
        components?.Invoke(catalog);
        var definition = StreamPipelineDefinition.FromConfiguration(section, catalog);
        return services.AddStreamPipeline(provider => definition.Build(provider.GetRequiredKeyedService<StateStore>(storeKey)), configure);
    }
}
