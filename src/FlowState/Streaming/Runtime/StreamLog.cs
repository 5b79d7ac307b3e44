using Microsoft.Extensions.Logging;

namespace FlowState.Streaming;

/// <summary>Log messages of the stream runtime (source-generated).</summary>
internal static partial class StreamLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Pipeline {Pipeline} restored checkpoint {Checkpoint} ({Entries} entries from {Checkpoints} checkpoint(s)).")]
    public static partial void Restored(ILogger logger, string pipeline, long checkpoint, int entries, int checkpoints);

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "Pipeline {Pipeline} completed checkpoint {Checkpoint} ({Kind}, {Entries} entries, {Bytes} bytes) in {Milliseconds} ms.")]
    public static partial void CheckpointCompleted(ILogger logger, string pipeline, long checkpoint, string kind, long entries, long bytes, double milliseconds);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: aborting the open transaction of sink {Sink} failed; the next run's recovery aborts it.")]
    public static partial void AbortFailed(ILogger logger, Exception exception, string pipeline, string sink);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Pipeline {Pipeline} ran to the end of its input ({Messages} messages read).")]
    public static partial void HostedRunCompleted(ILogger logger, string pipeline, long messages);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "Pipeline {Pipeline} failed; it runs again from its last checkpoint in {Seconds:F1} s.")]
    public static partial void HostedRunFailed(ILogger logger, Exception exception, string pipeline, double seconds);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Pipeline {Pipeline} could not store checkpoint {Checkpoint} and skipped it ({Failures} in a row, {Tolerated} tolerated); the next checkpoint is a full one.")]
    public static partial void CheckpointSkipped(ILogger logger, Exception exception, string pipeline, long checkpoint, int failures, int tolerated);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Pipeline {Pipeline}: source {Source} could not acknowledge its input up to checkpoint {Checkpoint}; the next completed checkpoint acknowledges past it.")]
    public static partial void AcknowledgeFailed(ILogger logger, Exception exception, string pipeline, string source, long checkpoint);

    [LoggerMessage(EventId = 210, Level = LogLevel.Critical, Message = "Pipeline {Pipeline} failed again after {Restarts} restarts (at most {MaxRestarts} in a row without a checkpoint); it is not restarted any more and its health check reports it. Fix the cause and restart the app: it recovers from its last checkpoint.")]
    public static partial void HostedGaveUp(ILogger logger, Exception exception, string pipeline, int restarts, int maxRestarts);
}
