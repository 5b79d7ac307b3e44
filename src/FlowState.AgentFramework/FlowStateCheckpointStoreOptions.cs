namespace FlowState.AgentFramework;

/// <summary>Options of a <see cref="FlowStateCheckpointStore"/>.</summary>
public sealed class FlowStateCheckpointStoreOptions
{
    /// <summary>
    /// Checkpoints kept per session (workflow run), the newest; older ones are deleted as new ones are written. Null
    /// (default): all. At least 1: the newest checkpoint, the one a running workflow resumes from, is never deleted.
    /// </summary>
    public int? MaxCheckpointsPerSession { get; set; }

    /// <summary>
    /// Checkpoints older than this are deleted as new ones are written in their session; the session's newest is
    /// always kept. Null (default): no age limit.
    /// </summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>The clock of <see cref="MaxAge"/> and of the checkpoints' creation times (default: the system clock).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
