using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FlowState.Flows;
using Microsoft.Extensions.Logging;

namespace FlowState.Inspector;

/// <summary>
/// Runs the inspector resumed, in the background: the request answers at once and the page follows the run live.
/// A run that fails is recorded as failed by the runner; stopping the app cancels the runs (they stay resumable).
/// </summary>
internal sealed partial class InspectorResumes(ILogger<InspectorResumes> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public bool TryStart(FlowRunner runner, Flow flow, string runId, JsonNode? input)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_running.TryAdd(runId, started.Task))
        {
            return false;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await runner.ResumeAsync(flow, runId, new FlowRunOptions { ResumeInput = input }, _stopping.Token).ConfigureAwait(false);
                LogResumed(logger, runId);
            }
            catch (Exception ex) when (ex is StateException or OperationCanceledException or ObjectDisposedException)
            {
                // The runner recorded the failure (or the stop) on the run, where the page shows it.
                LogResumeFailed(logger, ex, runId);
            }
            finally
            {
                _running.TryRemove(runId, out _);
                started.SetResult();
            }
        });
        return true;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        Task.WaitAll([.. _running.Values], TimeSpan.FromSeconds(30));
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inspector: run {RunId} resumed and completed")]
    private static partial void LogResumed(ILogger logger, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inspector: run {RunId} resumed and stopped")]
    private static partial void LogResumeFailed(ILogger logger, Exception exception, string runId);
}
