using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlowState.Streaming;

/// <summary>
/// The health of every <see cref="StreamPipelineHostedService"/> of a host: unhealthy when one gave up after its
/// restarts or its last checkpoint is too old, degraded while one waits to restart or has not been started; the worst
/// pipeline decides. Register it with <see cref="FlowStateHealthChecksBuilderExtensions.AddStreamPipelineHealthChecks"/>.
/// </summary>
internal sealed class StreamPipelineHealthCheck(IEnumerable<StreamPipelineHostedService> pipelines, StreamPipelineHealthCheckOptions options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var worst = HealthStatus.Healthy;
        var lines = new List<string>();
        var data = new Dictionary<string, object>();
        Exception? failure = null;
        foreach (var service in pipelines)
        {
            var (status, line) = await CheckAsync(service, data, cancellationToken).ConfigureAwait(false);
            lines.Add(line);
            if (status < worst)
            {
                worst = status;
                failure = service.Failure;
            }
        }

        if (lines.Count == 0)
        {
            return HealthCheckResult.Healthy("no stream pipeline is registered");
        }

        return new HealthCheckResult(worst, string.Join("; ", lines), worst == HealthStatus.Healthy ? null : failure, data);
    }

    private async Task<(HealthStatus Status, string Line)> CheckAsync(StreamPipelineHostedService service, Dictionary<string, object> data, CancellationToken cancellationToken)
    {
        var pipeline = service.Pipeline;
        var name = pipeline.Name;
        var statistics = await pipeline.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
        data[$"{name}.status"] = service.Status.ToString();
        data[$"{name}.restarts"] = service.Restarts;
        data[$"{name}.messagesRead"] = statistics.MessagesRead;
        if (statistics.LastCheckpointId is { } id)
        {
            data[$"{name}.lastCheckpointId"] = id;
        }

        switch (service.Status)
        {
            case StreamPipelineHostStatus.Failed:
                return (HealthStatus.Unhealthy, $"{name}: gave up after {service.Restarts} restarts ({service.Failure?.Message})");
            case StreamPipelineHostStatus.Restarting:
                return (HealthStatus.Degraded, $"{name}: failed ({service.Failure?.Message}), restarting from its last checkpoint (restart {service.Restarts})");
            case StreamPipelineHostStatus.NotStarted:
                return (HealthStatus.Degraded, $"{name}: not started yet (a host starts it)");
            case StreamPipelineHostStatus.Completed or StreamPipelineHostStatus.Stopped:
                return (HealthStatus.Healthy, $"{name}: {service.Status.ToString().ToLowerInvariant()}");
        }

        var limit = options.MaxCheckpointAge ?? (pipeline.CheckpointStorage is null ? null : pipeline.Options.CheckpointInterval * 3);
        if (limit is not { } maxAge || (statistics.LastCheckpointAt ?? service.RunningSince) is not { } since)
        {
            return (HealthStatus.Healthy, $"{name}: running");
        }

        var age = service.Options.TimeProvider.GetUtcNow() - since;
        data[$"{name}.lastCheckpointAgeSeconds"] = Math.Round(age.TotalSeconds, 3);
        return age > maxAge
            ? (HealthStatus.Unhealthy, $"{name}: running, but its last checkpoint is {age.TotalSeconds:F0} s old (more than {maxAge.TotalSeconds:F0} s): checkpoints are stuck or failing")
            : (HealthStatus.Healthy, $"{name}: running, last checkpoint {age.TotalSeconds:F1} s ago");
    }
}
