using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlowState.Flows;

/// <summary>The record of a run, key <c>run</c> of the run's bookkeeping scope.</summary>
internal sealed record RunRecord(string Flow, FlowRunStatus Status, long Steps, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt, string? Error)
{
    /// <summary>Where the run stopped for input, while <see cref="Status"/> is <see cref="FlowRunStatus.Interrupted"/>.</summary>
    public InterruptRecord? Interrupt { get; init; }

    /// <summary>The run and checkpoint this run was forked from.</summary>
    public string? ForkedFrom { get; init; }
}

/// <summary>The step that interrupted a run, and (once resumed) the input handed to it and the node it was routed to.</summary>
internal sealed record InterruptRecord(string Frame, int StepIndex, string Node, string? Reason, JsonElement? Input)
{
    /// <summary>The node the resumed run continues at instead of the interrupted one (<see cref="FlowRunOptions.ResumeAt"/>).</summary>
    public string? Route { get; init; }

    /// <summary>Every answer the step's questions got so far (<see cref="NodeContext.Ask{T}"/>), in the order they were asked.</summary>
    public IReadOnlyList<JsonElement>? Answers { get; init; }
}

/// <summary>A checkpoint as stored: the public view plus the progress the step wrote, so that forks can rebuild positions.</summary>
internal sealed record CheckpointRecord(long Index, string? Node, string? Action, DateTimeOffset At, List<FlowStateChange> Changes, string? Frame, int FrameStep, FrameRecord? Progress)
{
    public FlowCheckpoint ToCheckpoint() => new(Index, Index == 0 ? null : Index - 1, Node, Action, At, Changes);
}

/// <summary>The progress of one (sub-)flow of a run, key <c>frame:{frameId}</c>: the next node, or the action it ended with.</summary>
internal sealed record FrameRecord(string? Next, int Steps, bool Done, string? Action)
{
    /// <summary>The node whose step wrote this position (an update as a node: that node), for those who follow the run.</summary>
    public string? Ran { get; init; }
}

/// <summary>The state of a run as of checkpoint <c>Index</c> (-1: before the start), into which retention folded older checkpoints.</summary>
internal sealed record HistoryBaseRecord(long Index, List<FlowStateChange> State, Dictionary<string, FrameRecord> Frames);

[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RunRecord))]
[JsonSerializable(typeof(FrameRecord))]
[JsonSerializable(typeof(CheckpointRecord))]
[JsonSerializable(typeof(HistoryBaseRecord))]
[JsonSerializable(typeof(FlowGraph))]
internal sealed partial class FlowRecordsJsonContext : JsonSerializerContext;
