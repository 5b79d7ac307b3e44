using FlowState.Streaming;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FlowState;

/// <summary>Adds FlowState's health check to an app's health checks.</summary>
public static class FlowStateHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks the store <see cref="FlowStateServiceCollectionExtensions.AddFlowState"/> registered: open and not
    /// faulted, the commit queue not nearly full, and for a shared store, the server answering a read and the change
    /// feed alive. Data: entries, bytes, version, pending commits.
    /// </summary>
    /// <param name="builder">The app's health checks.</param>
    /// <param name="name">The check's name in reports.</param>
    /// <param name="configure">Thresholds.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <param name="key">The key of a store registered with <see cref="FlowStateServiceCollectionExtensions.AddKeyedFlowState"/>; null: the unkeyed store.</param>
    /// <example><code>services.AddHealthChecks().AddFlowStateHealthChecks().AddFlowStateHealthChecks("flowstate-orders", key: "orders");</code></example>
    public static IHealthChecksBuilder AddFlowStateHealthChecks(
        this IHealthChecksBuilder builder,
        string name = "flowstate",
        Action<FlowStateHealthCheckOptions>? configure = null,
        IEnumerable<string>? tags = null,
        string? key = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new FlowStateHealthCheckOptions();
        configure?.Invoke(options);
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => new FlowStateHealthCheck(
                provider.GetKeyedService<FlowStateStoreHolder<StateStore>>(key),
                provider.GetKeyedService<FlowStateStoreHolder<SharedStateStore>>(key),
                options,
                provider.GetService<IOptionsMonitor<StateStoreOptions>>()?.Get(key ?? Options.DefaultName).MaxPendingCommits ?? new StateStoreOptions().MaxPendingCommits),
            failureStatus: null,
            tags));
    }

    /// <summary>
    /// Checks every stream pipeline registered with <c>AddStreamPipeline</c>: unhealthy when one gave up after its
    /// restarts (<see cref="StreamPipelineHostOptions.MaxRestarts"/>) or its last checkpoint is older than
    /// <see cref="StreamPipelineHealthCheckOptions.MaxCheckpointAge"/>; degraded while one waits to restart. Data per
    /// pipeline: status, restarts, messages read, last checkpoint id and age.
    /// </summary>
    /// <param name="builder">The app's health checks.</param>
    /// <param name="name">The check's name in reports.</param>
    /// <param name="configure">Thresholds.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <example><code>services.AddHealthChecks().AddFlowStateHealthChecks().AddStreamPipelineHealthChecks(configure: o =&gt; o.MaxCheckpointAge = TimeSpan.FromMinutes(1));</code></example>
    public static IHealthChecksBuilder AddStreamPipelineHealthChecks(
        this IHealthChecksBuilder builder,
        string name = "flowstate-pipelines",
        Action<StreamPipelineHealthCheckOptions>? configure = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new StreamPipelineHealthCheckOptions();
        configure?.Invoke(options);
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => new StreamPipelineHealthCheck(provider.GetServices<IHostedService>().OfType<StreamPipelineHostedService>(), options),
            failureStatus: null,
            tags));
    }
}
