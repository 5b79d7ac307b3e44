using System.Text.Json.Serialization;

namespace FlowState.Flows;

/// <summary>The record of a run, key <c>run</c> of the run's bookkeeping scope.</summary>
internal sealed record RunRecord(string Flow, FlowRunStatus Status, long Steps, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt, string? Error);

/// <summary>The progress of one (sub-)flow of a run, key <c>frame:{frameId}</c>: the next node, or the action it ended with.</summary>
internal sealed record FrameRecord(string? Next, int Steps, bool Done, string? Action);

/// <summary>The state of a run as of checkpoint <c>Index</c> (-1: before the start), into which retention folded older checkpoints.</summary>
internal sealed record HistoryBaseRecord(long Index, List<FlowStateChange> State);

[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RunRecord))]
[JsonSerializable(typeof(FrameRecord))]
[JsonSerializable(typeof(FlowCheckpoint))]
[JsonSerializable(typeof(HistoryBaseRecord))]
internal sealed partial class FlowRecordsJsonContext : JsonSerializerContext;
