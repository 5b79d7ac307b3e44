using System.Text.Json;
using System.Text.Json.Nodes;
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
        string? last = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var stamp = store.ChangeStamp();
                if (stamp != last)
                {
                    last = stamp;
                    await WriteEventAsync(context, "changed", new JsonObject { ["stamp"] = stamp }, cancellationToken).ConfigureAwait(false);
                }

                await Task.Delay(options.LivePollInterval, time, cancellationToken).ConfigureAwait(false);
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
        string? lastStamp = null;
        FlowRunInfo? lastRun = null;
        var lastStep = -1L;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var stamp = store.ChangeStamp();
                if (stamp != lastStamp)
                {
                    lastStamp = stamp;
                    await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
                    run = await InspectorReadApi.FindRunAsync(view, runId, cancellationToken).ConfigureAwait(false);
                    if (run is null)
                    {
                        await WriteEventAsync(context, "deleted", new JsonObject { ["runId"] = runId }, cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    foreach (var checkpoint in await view.Runner.GetHistoryAsync(runId, cancellationToken).ConfigureAwait(false))
                    {
                        if (checkpoint.Index > lastStep)
                        {
                            lastStep = checkpoint.Index;
                            await WriteEventAsync(context, "step", new JsonObject
                            {
                                ["runId"] = runId,
                                ["index"] = checkpoint.Index,
                                ["node"] = checkpoint.NodeName,
                                ["action"] = checkpoint.Action,
                                ["at"] = checkpoint.At,
                                ["keys"] = JsonSerializer.SerializeToNode(checkpoint.Changes.Select(c => c.Step is null ? c.Key : $"{c.Step}/{c.Key}"), InspectorJson.Options),
                            }, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    if (run != lastRun)
                    {
                        lastRun = run;
                        await WriteEventAsync(context, "run", InspectorReadApi.RunJson(run), cancellationToken).ConfigureAwait(false);
                    }
                }

                await Task.Delay(options.LivePollInterval, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
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
