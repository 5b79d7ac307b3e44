using Microsoft.Extensions.Logging;

namespace FlowState.Flows;

/// <summary>Log messages of the flow runtime (source-generated).</summary>
internal static partial class FlowLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Run {RunId} of flow {Flow} started.")]
    public static partial void RunStarted(ILogger logger, string runId, string flow);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Run {RunId} of flow {Flow} completed after {Steps} steps with action {Action}.")]
    public static partial void RunCompleted(ILogger logger, string runId, string flow, long steps, string action);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Run {RunId} of flow {Flow} failed.")]
    public static partial void RunFailed(ILogger logger, Exception exception, string runId, string flow);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Run {RunId} of flow {Flow} was cancelled after {Steps} steps; resume it to continue.")]
    public static partial void RunCancelled(ILogger logger, string runId, string flow, long steps);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "Run {RunId} of flow {Flow} was interrupted by node {Node}; resume it with the input it asked for.")]
    public static partial void RunInterrupted(ILogger logger, string runId, string flow, string node);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "Could not record the failure of run {RunId}.")]
    public static partial void FailureNotRecorded(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 105, Level = LogLevel.Debug, Message = "Post of node {Node} in run {RunId} met a concurrent write; running it again.")]
    public static partial void PostConflict(ILogger logger, string node, string runId);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "OnComplete of node {Node} in run {RunId} threw; the step's outcome stands.")]
    public static partial void OnCompleteFailed(ILogger logger, Exception exception, string node, string runId);
}
