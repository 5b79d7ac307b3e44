using Microsoft.Extensions.Logging;

namespace FlowState.Nats;

/// <summary>Log messages of <see cref="NatsPipelineGroup"/> (source-generated).</summary>
internal static partial class NatsGroupLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Member {Member} joined group {Group} of {Partitions} partitions.")]
    public static partial void Joined(ILogger logger, string member, string group, int partitions);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Member {Member} of group {Group} took partition {Partition} (from {Previous}).")]
    public static partial void Claimed(ILogger logger, string member, string group, int partition, string previous);

    [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "Member {Member} of group {Group} gave partition {Partition} back.")]
    public static partial void Released(ILogger logger, string member, string group, int partition);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Member {Member} of group {Group} no longer holds partition {Partition}; its pipeline stopped.")]
    public static partial void Lost(ILogger logger, string member, string group, int partition);

    [LoggerMessage(EventId = 404, Level = LogLevel.Error, Message = "Member {Member} of group {Group}: the pipeline of partition {Partition} failed; it starts again from its last checkpoint while the member holds the partition.")]
    public static partial void RunFailed(ILogger logger, Exception exception, string member, string group, int partition);

    [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "Member {Member} of group {Group} could not renew its lease.")]
    public static partial void RenewFailed(ILogger logger, Exception exception, string member, string group);

    [LoggerMessage(EventId = 406, Level = LogLevel.Error, Message = "Member {Member} of group {Group} went half its lease time unrenewed and stopped the pipelines of partitions {Partitions} before another member may take them.")]
    public static partial void Fenced(ILogger logger, string member, string group, string partitions);

    [LoggerMessage(EventId = 407, Level = LogLevel.Warning, Message = "Member {Member} of group {Group}: the checkpoint before giving partition {Partition} back failed; its next holder redoes what came after the last one.")]
    public static partial void CheckpointOnStopFailed(ILogger logger, Exception exception, string member, string group, int partition);

    [LoggerMessage(EventId = 409, Level = LogLevel.Warning, Message = "Member {Member} of group {Group} could not read or change the group this round; it tries again next round.")]
    public static partial void RoundFailed(ILogger logger, Exception exception, string member, string group);

    [LoggerMessage(EventId = 408, Level = LogLevel.Information, Message = "Member {Member} left group {Group}.")]
    public static partial void Left(ILogger logger, string member, string group);
}
