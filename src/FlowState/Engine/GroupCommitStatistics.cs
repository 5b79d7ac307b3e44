namespace FlowState;

/// <summary>The group commit's work so far.</summary>
/// <param name="Groups">Backend transactions written.</param>
/// <param name="Commits">The commits they carried.</param>
/// <param name="BackendTime">Time spent inside the backend's writes; the rest of a durable write's time is the store's own work and waiting for a group.</param>
public sealed record GroupCommitStatistics(long Groups, long Commits, TimeSpan BackendTime);
