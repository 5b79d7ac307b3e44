namespace FlowState.Streaming;

/// <summary>How <see cref="StreamPipelineHostedService"/> runs its pipeline and restarts it after failures.</summary>
public sealed class StreamPipelineHostOptions
{
    /// <summary>Run again after a failure (the run recovers from the last complete checkpoint); true by default.</summary>
    public bool RestartOnFailure { get; set; } = true;

    /// <summary>
    /// The wait before the first restart; later ones double (exponential back-off, with jitter so that pipelines that
    /// failed together do not restart together), up to <see cref="MaxRestartDelay"/>. 5 seconds by default.
    /// </summary>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between restarts; 5 minutes by default.</summary>
    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Restarts in a row after which the service gives up (<see cref="StreamPipelineHostedService.Status"/> becomes
    /// <see cref="StreamPipelineHostStatus.Failed"/>, which its health check reports as unhealthy). A run that
    /// completed a checkpoint before it failed made progress, so the count starts again. 10 by default.
    /// </summary>
    public int MaxRestarts { get; set; } = 10;

    /// <summary>The clock of the restart waits and of the health check's checkpoint age.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
