using FlowState.Flows;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FlowState.OpenTelemetry;

/// <summary>Adds FlowState's traces and metrics to OpenTelemetry providers.</summary>
public static class FlowStateInstrumentationExtensions
{
    /// <summary>
    /// Listens to FlowState's spans: <c>flowstate.commit</c> (one backend transaction, a child of the flow step or
    /// request whose write it carries), <c>flowstate.checkpoint</c> (a stream checkpoint), <c>flow.run</c> and
    /// <c>flow.step</c>.
    /// </summary>
    /// <example><code>builder.Services.AddOpenTelemetry().WithTracing(t =&gt; t.AddFlowStateInstrumentation().AddOtlpExporter());</code></example>
    public static TracerProviderBuilder AddFlowStateInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(FlowStateActivities.SourceName, FlowDiagnostics.ActivitySourceName);
    }

    /// <summary>
    /// Listens to the meter <c>FlowState</c>: store sizes, reads and their latency, writes, group commits, pending
    /// commits, flow steps, stream messages and checkpoints (durations in seconds).
    /// </summary>
    /// <example><code>builder.Services.AddOpenTelemetry().WithMetrics(m =&gt; m.AddFlowStateInstrumentation().AddOtlpExporter());</code></example>
    public static MeterProviderBuilder AddFlowStateInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(FlowStateMetrics.MeterName);
    }
}
