using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
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
    /// <example><code>services.AddHealthChecks().AddFlowStateHealthChecks();</code></example>
    public static IHealthChecksBuilder AddFlowStateHealthChecks(
        this IHealthChecksBuilder builder,
        string name = "flowstate",
        Action<FlowStateHealthCheckOptions>? configure = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new FlowStateHealthCheckOptions();
        configure?.Invoke(options);
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => new FlowStateHealthCheck(
                provider.GetService<FlowStateStoreHolder<StateStore>>(),
                provider.GetService<FlowStateStoreHolder<SharedStateStore>>(),
                options,
                provider.GetService<IOptions<StateStoreOptions>>()?.Value.MaxPendingCommits ?? new StateStoreOptions().MaxPendingCommits),
            failureStatus: null,
            tags));
    }
}
