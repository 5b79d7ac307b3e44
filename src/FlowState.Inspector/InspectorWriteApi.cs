using System.Text.Json;
using System.Text.Json.Nodes;
using FlowState.Flows;
using Microsoft.AspNetCore.Http;

namespace FlowState.Inspector;

/// <summary>The write actions, served only with writes allowed: fork a run, edit a key, delete and prune runs.</summary>
internal sealed class InspectorWriteApi(InspectedStore store, InspectorValues values, FlowStateInspectorOptions options, InspectorResumes resumes)
{
    public async Task<IResult> ResumeAsync(string runId, HttpRequest request, CancellationToken cancellationToken)
    {
        JsonNode? input = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var (body, error) = await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            input = body!["input"];
        }

        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (await InspectorReadApi.FindRunAsync(view, runId, cancellationToken).ConfigureAwait(false) is not { } run)
        {
            return InspectorReadApi.UnknownRun(runId);
        }

        if (run.Status == FlowRunStatus.Completed)
        {
            return InspectorErrors.Conflict("run_completed", $"Run '{runId}' has completed; fork it from a step to run it again from there.");
        }

        if (options.Flows.FirstOrDefault(f => f.Name == run.FlowName) is not { } flow)
        {
            return InspectorErrors.Conflict("flow_unknown", $"Run '{runId}' runs flow '{run.FlowName}', which this inspector does not have: add it to FlowStateInspectorOptions.Flows (flowstate serve knows its bundled flows).");
        }

        if (run.Status == FlowRunStatus.Interrupted && input is null)
        {
            return InspectorErrors.BadRequest("input_required", $"Run '{runId}' waits in '{run.InterruptedAt}' for an answer to \"{run.Question}\": send it as {{\"input\": …}}.");
        }

        return resumes.TryStart(view.Runner, flow, runId, input)
            ? Results.Json(new JsonObject { ["runId"] = runId, ["resumed"] = true }, InspectorJson.Options, statusCode: StatusCodes.Status202Accepted)
            : InspectorErrors.Conflict("run_active", $"Run '{runId}' is already being resumed by this inspector.");
    }

    public async Task<IResult> ForkAsync(string runId, HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (body!["step"] is not JsonValue stepValue || !stepValue.TryGetValue<long>(out var step))
        {
            return InspectorErrors.BadRequest("bad_body", "A fork needs \"step\": the index of the step to fork after, e.g. {\"step\": 2}.");
        }

        var newRunId = Text(body["runId"]);
        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (await InspectorReadApi.FindRunAsync(view, runId, cancellationToken).ConfigureAwait(false) is null)
        {
            return InspectorReadApi.UnknownRun(runId);
        }

        var history = await view.Runner.GetHistoryAsync(runId, cancellationToken).ConfigureAwait(false);
        if (history.All(c => c.Index != step))
        {
            return InspectorErrors.NotFound("unknown_step", $"Run '{runId}' has no kept step {step} to fork from.");
        }

        try
        {
            var forked = await view.Runner.ForkAsync(runId, step, newRunId, cancellationToken).ConfigureAwait(false);
            return Results.Json(new JsonObject { ["runId"] = forked, ["forkedFromRun"] = runId, ["forkedFromStep"] = step }, InspectorJson.Options, statusCode: StatusCodes.Status201Created);
        }
        catch (ArgumentException ex)
        {
            return InspectorErrors.BadRequest("bad_run_id", ex.Message);
        }
        catch (FlowException ex)
        {
            return InspectorErrors.Conflict("fork_refused", ex.Message);
        }
    }

    public async Task<IResult> SetKeyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (Text(body!["key"]) is not { Length: > 0 } key)
        {
            return InspectorErrors.BadRequest("bad_body", "An edit needs \"key\", \"value\" and \"expectedVersion\" (0: the key must not exist yet), and may name \"scope\" (a path such as workflow:run_1:) or \"scopeKey\" (its storage key).");
        }

        if (body["expectedVersion"] is not JsonValue versionValue || !versionValue.TryGetValue<long>(out var expectedVersion))
        {
            return InspectorErrors.BadRequest("bad_body", $"An edit of '{key}' needs \"expectedVersion\": the version it was read at (0: the key must not exist yet), so that a newer write is not lost.");
        }

        if (!body.TryGetPropertyValue("value", out var value))
        {
            return InspectorErrors.BadRequest("bad_body", $"An edit of '{key}' needs \"value\" (any JSON).");
        }

        if (values.IsRedacted(key))
        {
            return InspectorErrors.Forbidden("redacted", $"'{key}' is redacted by this inspector's configuration; it cannot be edited here.");
        }

        if (!InspectorQuery.TryScope("scope", Text(body["scope"]), Text(body["scopeKey"]), out var scope, out var scopeError))
        {
            return scopeError!;
        }

        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(value, InspectorJson.Options);
            var version = await view.For(scope).SetRawAsync(key, bytes, StateWriteOptions.IfVersion(expectedVersion), cancellationToken).ConfigureAwait(false);
            return InspectorReadApi.Json(new JsonObject { ["scope"] = InspectorReadApi.ScopeText(scope), ["key"] = key, ["version"] = version });
        }
        catch (StateConflictException ex)
        {
            return Results.Problem(
                detail: $"'{key}' is at version {ex.ActualVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(absent)"}, not {expectedVersion}: it changed since it was read. Read it again and edit that.",
                statusCode: StatusCodes.Status409Conflict,
                title: "version_conflict",
                extensions: new Dictionary<string, object?> { ["actualVersion"] = ex.ActualVersion });
        }
        catch (ArgumentException ex)
        {
            return InspectorErrors.BadRequest("bad_key", ex.Message);
        }
        catch (StateException ex)
        {
            return InspectorErrors.Conflict("write_refused", ex.Message);
        }
    }

    public async Task<IResult> DeleteRunAsync(string runId, CancellationToken cancellationToken)
    {
        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (await InspectorReadApi.FindRunAsync(view, runId, cancellationToken).ConfigureAwait(false) is null)
        {
            return InspectorReadApi.UnknownRun(runId);
        }

        try
        {
            await view.Runner.DeleteRunAsync(runId, cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        }
        catch (FlowException ex)
        {
            return InspectorErrors.Conflict("run_active", ex.Message);
        }
    }

    public async Task<IResult> PruneRunsAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        FlowRunPruneOptions prune;
        try
        {
            prune = body!.Deserialize<PruneRequest>(InspectorJson.Options)?.ToOptions() ?? new FlowRunPruneOptions();
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return InspectorErrors.BadRequest("bad_body", $"A prune takes {{\"olderThan\": \"7.00:00:00\", \"statuses\": [\"completed\"], \"keepLast\": 10, \"flow\": \"name\", \"dryRun\": true}} (all optional): {ex.Message}");
        }

        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var deleted = await view.Runner.PruneRunsAsync(prune, cancellationToken).ConfigureAwait(false);
            return InspectorReadApi.Json(new JsonObject { ["dryRun"] = prune.DryRun, ["runs"] = new JsonArray([.. deleted.Select(id => (JsonNode?)id)]) });
        }
        catch (ArgumentOutOfRangeException ex)
        {
            return InspectorErrors.BadRequest("bad_body", ex.Message);
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static async Task<(JsonObject? Body, IResult? Error)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return (null, Results.Problem(detail: "Send the body as JSON (Content-Type: application/json).", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "not_json"));
        }

        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken).ConfigureAwait(false) is JsonObject body
                ? (body, null)
                : (null, InspectorErrors.BadRequest("bad_json", "The body must be a JSON object."));
        }
        catch (JsonException ex)
        {
            return (null, InspectorErrors.BadRequest("bad_json", $"The body is not valid JSON: {ex.Message}"));
        }
    }
}
