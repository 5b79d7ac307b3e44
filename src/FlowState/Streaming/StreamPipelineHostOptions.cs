namespace FlowState.Streaming;

/// <summary>How <see cref="StreamPipelineHostedService"/> runs its pipeline.</summary>
public sealed class StreamPipelineHostOptions
{
    /// <summary>Run again after a failure (the run recovers from the last complete checkpoint); true by default.</summary>
    public bool RestartOnFailure { get; set; } = true;

    /// <summary>How long to wait before running again after a failure.</summary>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(5);
}
