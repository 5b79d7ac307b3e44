using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using FlowState.Flows;
using Microsoft.AspNetCore.Http;

namespace FlowState.Inspector;

/// <summary>
/// Server-sent events. The store is looked at every <see cref="FlowStateInspectorOptions.LivePollInterval"/> through
/// its change stamp (the version of a store of this process, the change feed of shared state, the files' stamp of a
/// store another process writes); nothing is read again until it moved, and a slow reader never holds up a writer.
/// </summary>
internal sealed class InspectorLiveApi(InspectedStore store, FlowStateInspectorOptions options, TimeProvider time)
{
    /// <summary><c>changed</c> events, one each time the store moved: what a page needs to refresh its view.</summary>
    public async Task StoreEventsAsync(HttpContext context, CancellationToken cancellationToken)
    {
        StartStream(context);
        try
        {
            await foreach (var stamp in ChangedStampsAsync(cancellationToken).ConfigureAwait(false))
            {
                await WriteEventAsync(context, "changed", new JsonObject { ["stamp"] = stamp }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    /// <summary>A run's <c>run</c> (its record, when it changed) and <c>step</c> (each newly committed step) events.</summary>
    public async Task RunEventsAsync(string runId, HttpContext context, CancellationToken cancellationToken)
    {
        FlowRunInfo? run;
        await using (var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            run = await InspectorReadApi.FindRunAsync(view, runId, cancellationToken).ConfigureAwait(false);
        }

        if (run is null)
        {
            await InspectorReadApi.UnknownRun(runId).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        StartStream(context);
        // Two producers, one writer: the store's records (every run, whoever runs it) and, for a run executing in this
        // process, the runner's own events (a step that started, a retry: what no record shows). The queue drops its
        // oldest events when the client does not keep up, so a slow reader never makes a run wait.
        var outgoing = Channel.CreateBounded<(string Name, JsonNode Data)>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producers = new List<Task> { FollowRecordsAsync(runId, outgoing.Writer, stop.Token) };
        if (store.RunnerInThisProcess is { } runner)
        {
            producers.Add(ForwardRunEventsAsync(runner, runId, outgoing.Writer, stop.Token));
        }

        var ended = Task.WhenAll(producers).ContinueWith(done => outgoing.Writer.TryComplete(done.Exception?.InnerException), TaskScheduler.Default);
        try
        {
            await foreach (var (name, data) in outgoing.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await WriteEventAsync(context, name, data, cancellationToken).ConfigureAwait(false);
                if (name == "deleted")
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await ended.ConfigureAwait(false);
        }
    }

    private async Task FollowRecordsAsync(string runId, ChannelWriter<(string Name, JsonNode Data)> outgoing, CancellationToken cancellationToken)
    {
        FlowRunInfo? lastRun = null;
        var lastStep = -1L;
        try
        {
            await foreach (var _ in ChangedStampsAsync(cancellationToken).ConfigureAwait(false))
            {
                await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
                var run = await InspectorReadApi.FindRunAsync(view, runId, cancellationToken).ConfigureAwait(false);
                if (run is null)
                {
                    outgoing.TryWrite(("deleted", new JsonObject { ["runId"] = runId }));
                    return;
                }

                foreach (var checkpoint in await view.Runner.GetHistoryAsync(runId, cancellationToken).ConfigureAwait(false))
                {
                    if (checkpoint.Index > lastStep)
                    {
                        lastStep = checkpoint.Index;
                        var step = InspectorReadApi.StepJson(checkpoint);
                        step["runId"] = runId;
                        outgoing.TryWrite(("step", step));
                    }
                }

                if (run != lastRun)
                {
                    lastRun = run;
                    outgoing.TryWrite(("run", InspectorReadApi.RunJson(run)));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The stream ended.
        }
    }

    // The store's change stamp each time it moved (the first at once), looked at every LivePollInterval until cancelled.
    private async IAsyncEnumerable<string> ChangedStampsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? last = null;
        while (true)
        {
            var stamp = await store.ChangeStampAsync(cancellationToken).ConfigureAwait(false);
            if (stamp != last)
            {
                last = stamp;
                yield return stamp;
            }

            await Task.Delay(options.LivePollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    // The runner's events of the run, as long as the stream lasts: a watch ends with the run's last event, and the next
    // one waits for a resume.
    private static async Task ForwardRunEventsAsync(FlowRunner runner, string runId, ChannelWriter<(string Name, JsonNode Data)> outgoing, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await foreach (var flowEvent in runner.WatchAsync(runId, cancellationToken).ConfigureAwait(false))
                {
                    outgoing.TryWrite(("flow", new JsonObject
                    {
                        ["runId"] = runId,
                        ["kind"] = JsonNamingPolicy.CamelCase.ConvertName(flowEvent.Kind.ToString()),
                        ["sequence"] = flowEvent.Sequence,
                        ["at"] = flowEvent.Timestamp,
                        ["node"] = flowEvent.Node,
                        ["stepIndex"] = flowEvent.StepIndex,
                        ["action"] = flowEvent.Action,
                        ["attempt"] = flowEvent.Attempt,
                        ["error"] = flowEvent.Error,
                        ["question"] = flowEvent.Question,
                        ["durationMs"] = flowEvent.Duration?.TotalMilliseconds,
                        ["keys"] = flowEvent.Changes is { } changes ? JsonSerializer.SerializeToNode(changes.Select(c => c.Key), InspectorJson.Options) : null,
                    }));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The stream ended.
        }
    }

    private static void StartStream(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        // Proxies such as nginx would otherwise hold events back until their buffer fills.
        context.Response.Headers["X-Accel-Buffering"] = "no";
    }

    private static async Task WriteEventAsync(HttpContext context, string name, JsonNode data, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync($"event: {name}\ndata: {data.ToJsonString(InspectorJson.Options)}\n\n", cancellationToken).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
