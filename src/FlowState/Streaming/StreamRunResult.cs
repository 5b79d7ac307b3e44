namespace FlowState.Streaming;

/// <summary>How a run of a bounded pipeline ended.</summary>
/// <param name="RecoveredFromCheckpointId">The checkpoint the run started from; null when it started from the beginning.</param>
/// <param name="MessagesRead">Messages read by this run.</param>
/// <param name="MessagesWritten">Messages handed to sinks by this run.</param>
/// <param name="CheckpointsCompleted">Checkpoints completed by this run, the final one included.</param>
/// <param name="LastCheckpointId">The last complete checkpoint when the run ended.</param>
public sealed record StreamRunResult(long? RecoveredFromCheckpointId, long MessagesRead, long MessagesWritten, long CheckpointsCompleted, long? LastCheckpointId);
