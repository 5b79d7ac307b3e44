namespace FlowState.Streaming;

/// <summary>Where a <see cref="StreamPipelineHostedService"/> is.</summary>
public enum StreamPipelineHostStatus
{
    /// <summary>The host has not started it yet.</summary>
    NotStarted,

    /// <summary>Its pipeline runs.</summary>
    Running,

    /// <summary>Its pipeline failed and waits to run again from its last checkpoint.</summary>
    Restarting,

    /// <summary>Its pipeline reached the end of its input.</summary>
    Completed,

    /// <summary>The host stopped it.</summary>
    Stopped,

    /// <summary>It gave up: the pipeline failed more than <see cref="StreamPipelineHostOptions.MaxRestarts"/> times in a row, or restarting is off.</summary>
    Failed,
}
