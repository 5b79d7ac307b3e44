using Microsoft.Extensions.Logging;

namespace FlowState.S3;

internal static partial class S3Log
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "S3 checkpoints {Location}: checkpoint {CheckpointId} is claimed by another coordinator; this one does not complete it. Two pipelines may be writing to one prefix.")]
    public static partial void ClaimLost(ILogger logger, string location, long checkpointId);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "S3 checkpoints {Location}: claiming checkpoint {CheckpointId} waited {WaitedMs:F0} ms for another coordinator that was choosing (one that crashed is passed over after {ClaimTimeoutSeconds:F0} s).")]
    public static partial void ClaimWaited(ILogger logger, string location, long checkpointId, double waitedMs, double claimTimeoutSeconds);

    [LoggerMessage(EventId = 602, Level = LogLevel.Debug, Message = "S3 checkpoints {Location}: manifest of checkpoint {CheckpointId} written ({Bytes} bytes).")]
    public static partial void ManifestWritten(ILogger logger, string location, long checkpointId, int bytes);

    [LoggerMessage(EventId = 603, Level = LogLevel.Debug, Message = "S3 checkpoints {Location}: {Objects} objects deleted.")]
    public static partial void Deleted(ILogger logger, string location, int objects);
}
