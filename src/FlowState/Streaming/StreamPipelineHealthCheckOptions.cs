namespace FlowState.Streaming;

/// <summary>Thresholds of the stream pipelines' health check.</summary>
public sealed class StreamPipelineHealthCheckOptions
{
    /// <summary>
    /// A running pipeline whose last checkpoint (or, before its first, whose start) is older than this is unhealthy:
    /// its checkpoints are stuck or failing. Null (the default): three times its checkpoint interval; a pipeline
    /// without one is not checked for age.
    /// </summary>
    public TimeSpan? MaxCheckpointAge { get; set; }
}
