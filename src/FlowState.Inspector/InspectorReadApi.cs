using System.Text.Json;
using System.Text.Json.Nodes;
using FlowState.Checkpoints;
using FlowState.Flows;
using Microsoft.AspNetCore.Http;

namespace FlowState.Inspector;

/// <summary>The read side of the API: runs, steps, state, scopes, keys, statistics.</summary>
internal sealed class InspectorReadApi(InspectedStore store, FlowStateInspectorOptions options, InspectorValues values)
{
    public async Task<IResult> InfoAsync(CancellationToken cancellationToken)
    {
        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        return Json(new JsonObject
        {
            ["store"] = store.Description,
            ["shared"] = store.IsShared,
            ["allowWrites"] = options.AllowWrites,
            ["pipelines"] = options.Pipelines.Count,
            ["flows"] = new JsonArray([.. options.Flows.Select(f => (JsonNode?)f.Name)]),
            ["version"] = typeof(InspectedStore).Assembly.GetName().Version?.ToString(),
        });
    }

    public async Task<IResult> ListRunsAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!InspectorQuery.TryPaging(request, options, out var paging, out var error)
            || !InspectorQuery.TryTime(request, "since", out var since, out error)
            || !InspectorQuery.TryTime(request, "until", out var until, out error))
        {
            return error!;
        }

        FlowRunStatus? status = null;
        if (request.Query["status"] is [{ Length: > 0 } statusText])
        {
            if (!Enum.TryParse<FlowRunStatus>(statusText, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                return InspectorErrors.BadRequest("bad_parameter", $"'status' must be one of {string.Join(", ", Enum.GetNames<FlowRunStatus>().Select(n => n.ToLowerInvariant()))}, not '{statusText}'.");
            }

            status = parsed;
        }

        var flow = request.Query["flow"] is [{ Length: > 0 } flowText] ? flowText : null;
        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var page = await view.Runner.QueryRunsAsync(
            new FlowRunQuery { Flow = flow, Status = status, StartedFrom = since, StartedBefore = until, Offset = paging.Offset, Limit = paging.Limit },
            cancellationToken).ConfigureAwait(false);
        return Json(new JsonObject
        {
            ["total"] = page.Total,
            ["offset"] = paging.Offset,
            ["limit"] = paging.Limit,
            ["statusCounts"] = StatusCounts(page),
            ["items"] = new JsonArray([.. page.Runs.Select(RunJson)]),
        });
    }

    public async Task<IResult> GetRunAsync(string runId, CancellationToken cancellationToken)
    {
        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (await FindRunAsync(view, runId, cancellationToken).ConfigureAwait(false) is not { } run)
        {
            return UnknownRun(runId);
        }

        var graph = await view.Runner.GetGraphAsync(runId, cancellationToken).ConfigureAwait(false);
        var history = await view.Runner.GetHistoryAsync(runId, cancellationToken).ConfigureAwait(false);
        var steps = new JsonArray([.. history.Select(checkpoint => (JsonNode)StepJson(checkpoint))]);

        var json = RunJson(run);
        json["graph"] = graph is null ? null : JsonSerializer.SerializeToNode(graph, InspectorJson.Options);
        json["history"] = steps;
        json["next"] = NextNode(run, graph);
        return Json(json);
    }

    public async Task<IResult> GetStepAsync(string runId, long index, CancellationToken cancellationToken)
    {
        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (await FindRunAsync(view, runId, cancellationToken).ConfigureAwait(false) is null)
        {
            return UnknownRun(runId);
        }

        var history = await view.Runner.GetHistoryAsync(runId, cancellationToken).ConfigureAwait(false);
        var checkpoint = history.FirstOrDefault(c => c.Index == index);
        if (checkpoint is null)
        {
            return UnknownStep(runId, index, history);
        }

        var state = await view.Runner.GetStateAtAsync(runId, index, cancellationToken).ConfigureAwait(false);
        var previous = history.Any(c => c.Index == index - 1)
            ? await view.Runner.GetStateAtAsync(runId, index - 1, cancellationToken).ConfigureAwait(false)
            : [];
        return Json(new JsonObject
        {
            ["runId"] = runId,
            ["index"] = index,
            ["node"] = checkpoint.NodeName,
            ["action"] = checkpoint.Action,
            ["at"] = checkpoint.At,
            ["previousIndex"] = history.Any(c => c.Index == index - 1) ? index - 1 : null,
            ["state"] = Redact(state),
            ["diff"] = Diff(previous, state),
        });
    }

    public async Task<IResult> DiffAsync(string runId, HttpRequest request, CancellationToken cancellationToken)
    {
        if (!InspectorQuery.TryLong(request, "from", out var from, out var error) || !InspectorQuery.TryLong(request, "to", out var to, out error))
        {
            return error!;
        }

        if (from is null || to is null)
        {
            return InspectorErrors.BadRequest("bad_parameter", "A diff needs both 'from' and 'to' (step indexes).");
        }

        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (await FindRunAsync(view, runId, cancellationToken).ConfigureAwait(false) is null)
        {
            return UnknownRun(runId);
        }

        var history = await view.Runner.GetHistoryAsync(runId, cancellationToken).ConfigureAwait(false);
        foreach (var index in new[] { from.Value, to.Value })
        {
            if (history.All(c => c.Index != index))
            {
                return UnknownStep(runId, index, history);
            }
        }

        var before = await view.Runner.GetStateAtAsync(runId, from.Value, cancellationToken).ConfigureAwait(false);
        var after = await view.Runner.GetStateAtAsync(runId, to.Value, cancellationToken).ConfigureAwait(false);
        return Json(new JsonObject { ["runId"] = runId, ["from"] = from, ["to"] = to, ["diff"] = Diff(before, after) });
    }

    public async Task<IResult> ListScopesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!InspectorQuery.TryScope(request, "parent", out var parent, out var error) || !InspectorQuery.TryPaging(request, options, out var paging, out error))
        {
            return error!;
        }

        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        List<KeyValuePair<StateScope, long>> page;
        int total;
        long own;
        if (view.Local is { } local)
        {
            // The scope tree knows each child's count and orders only the page: no walk over the keys below.
            var children = local.PageChildScopes(parent, paging.Offset, paging.Limit);
            page = [.. children.Page.Select(static child => KeyValuePair.Create(child.Scope, child.Entries))];
            total = children.Total;

            // The children's counts may still include keys that expired since (the count below purges first).
            own = Math.Max(0, await view.For(parent).CountAsync(cancellationToken).ConfigureAwait(false) - children.Entries);
        }
        else
        {
            var children = new Dictionary<StateScope, long>();
            own = 0;
            await foreach (var key in view.For(parent).ListAllAsync(null, cancellationToken).ConfigureAwait(false))
            {
                if (key.Scope == parent)
                {
                    own++;
                    continue;
                }

                var child = key.Scope;
                while (child.Parent != parent)
                {
                    child = child.Parent!;
                }

                children[child] = children.GetValueOrDefault(child) + 1;
            }

            page = paging.Of(children, Comparer<KeyValuePair<StateScope, long>>.Create(static (a, b) => string.CompareOrdinal(a.Key.Path, b.Key.Path)));
            total = children.Count;
        }

        var ancestors = new JsonArray();
        for (var scope = parent; scope is not null; scope = scope.Parent)
        {
            ancestors.Insert(0, ScopeJson(scope));
        }

        return Json(new JsonObject
        {
            ["scope"] = ScopeText(parent),
            ["scopeKey"] = parent.StorageKey,
            ["path"] = ancestors,
            ["keys"] = own,
            ["total"] = total,
            ["offset"] = paging.Offset,
            ["limit"] = paging.Limit,
            ["items"] = new JsonArray([.. page.Select(c =>
            {
                var item = ScopeJson(c.Key);
                item["keys"] = c.Value;
                return (JsonNode)item;
            })]),
        });
    }

    public async Task<IResult> ListKeysAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!InspectorQuery.TryScope(request, "scope", out var scope, out var error) || !InspectorQuery.TryPaging(request, options, out var paging, out error))
        {
            return error!;
        }

        var prefix = request.Query["prefix"] is [{ Length: > 0 } given] ? given : null;
        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var reader = view.For(scope);
        var keys = new List<string>();
        await foreach (var key in reader.ListKeysAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            keys.Add(key);
        }

        keys.Sort(StringComparer.Ordinal);
        var items = new JsonArray();
        foreach (var key in keys.Skip(paging.Offset).Take(paging.Limit))
        {
            if (await reader.GetEntryAsync(key, cancellationToken).ConfigureAwait(false) is not { } entry)
            {
                continue;
            }

            items.Add(new JsonObject
            {
                ["key"] = key,
                ["version"] = entry.Version,
                ["size"] = entry.Value.Length,
                ["expiresAt"] = entry.ExpiresAt,
                ["preview"] = Preview(key, entry),
            });
        }

        return Json(new JsonObject
        {
            ["scope"] = ScopeText(scope),
            ["scopeKey"] = scope.StorageKey,
            ["total"] = keys.Count,
            ["offset"] = paging.Offset,
            ["limit"] = paging.Limit,
            ["items"] = items,
        });
    }

    public async Task<IResult> GetKeyAsync(HttpRequest request, bool raw, CancellationToken cancellationToken)
    {
        if (!InspectorQuery.TryScope(request, "scope", out var scope, out var error))
        {
            return error!;
        }

        if (request.Query["key"] is not [{ Length: > 0 } key])
        {
            return InspectorErrors.BadRequest("bad_parameter", "Name the key: ?scope=…&key=….");
        }

        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (await view.For(scope).GetEntryAsync(key, cancellationToken).ConfigureAwait(false) is not { } entry)
        {
            return InspectorErrors.NotFound("unknown_key", $"There is no key '{key}' in scope {ScopeText(scope)}.");
        }

        if (raw)
        {
            return values.IsRedacted(key)
                ? InspectorErrors.Forbidden("redacted", $"The value of '{key}' is redacted by this inspector's configuration.")
                : Results.Bytes(entry.Value.ToArray(), "application/json", fileDownloadName: key.Replace('/', '_') + ".json");
        }

        var shown = values.View(key, entry.Value.Span);
        return Json(new JsonObject
        {
            ["scope"] = ScopeText(scope),
            ["key"] = key,
            ["version"] = entry.Version,
            ["size"] = entry.Value.Length,
            ["expiresAt"] = entry.ExpiresAt,
            ["value"] = shown.Value,
            ["truncated"] = shown.Truncated,
            ["redacted"] = shown.Redacted,
        });
    }

    public async Task<IResult> GetKeyHistoryAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!InspectorQuery.TryScope(request, "scope", out var scope, out var error))
        {
            return error!;
        }

        if (request.Query["key"] is not [{ Length: > 0 } key])
        {
            return InspectorErrors.BadRequest("bad_parameter", "Name the key: ?scope=…&key=….");
        }

        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var history = await view.For(scope).GetHistoryAsync(key, cancellationToken).ConfigureAwait(false);
        return Json(new JsonObject
        {
            ["scope"] = ScopeText(scope),
            ["key"] = key,
            ["items"] = new JsonArray([.. history.Select(h => (JsonNode)new JsonObject
            {
                ["version"] = h.Version,
                ["changedAt"] = h.ChangedAt,
                ["deleted"] = h.IsDeleted,
                ["value"] = h.IsDeleted ? null : values.View(key, h.Utf8Json.Span).Value,
            })]),
        });
    }

    public async Task<IResult> StatisticsAsync(CancellationToken cancellationToken)
    {
        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var json = new JsonObject { ["store"] = store.Description, ["shared"] = store.IsShared };
        if (view.Local is { } local)
        {
            var statistics = local.GetStatistics();
            json["entries"] = statistics.Entries;
            json["bytes"] = statistics.Bytes;
            json["hits"] = statistics.Hits;
            json["misses"] = statistics.Misses;
            json["evictions"] = statistics.Evictions;
            json["expirations"] = statistics.Expirations;
            json["version"] = local.CurrentVersion;
        }
        else
        {
            json["entries"] = await view.For(StateScope.Global).ListAllAsync(null, cancellationToken).CountAsync(cancellationToken).ConfigureAwait(false);
        }

        var runs = await view.Runner.QueryRunsAsync(new FlowRunQuery { Limit = 1 }, cancellationToken).ConfigureAwait(false);
        json["runs"] = runs.Total;
        json["runsByStatus"] = StatusCounts(runs);
        return Json(json);
    }

    public async Task<IResult> ListPipelinesAsync(CancellationToken cancellationToken)
    {
        var items = new JsonArray();
        foreach (var (name, storage) in options.Pipelines.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var ids = await storage.ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false);
            items.Add(new JsonObject
            {
                ["name"] = name,
                ["storage"] = storage.Description,
                ["checkpoints"] = ids.Count,
                ["latest"] = ids.Count == 0 ? null : ids[^1],
            });
        }

        return Json(new JsonObject { ["items"] = items });
    }

    public async Task<IResult> ListCheckpointsAsync(string name, CancellationToken cancellationToken)
    {
        if (!options.Pipelines.TryGetValue(name, out var storage))
        {
            return InspectorErrors.NotFound("unknown_pipeline", $"This inspector shows no pipeline '{name}'; GET api/v1/pipelines lists those it does (flowstate serve --pipeline <file.yaml>).");
        }

        var manifests = await storage.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        return Json(new JsonObject
        {
            ["name"] = name,
            ["storage"] = storage.Description,
            ["items"] = new JsonArray([.. manifests.Reverse().Select(m => (JsonNode)new JsonObject
            {
                ["id"] = m.Id,
                ["pipeline"] = m.PipelineName,
                ["createdAt"] = m.CreatedAt,
                ["incremental"] = m.Incremental,
                ["parentId"] = m.ParentId,
                ["baseId"] = m.BaseId,
                ["chainLength"] = m.ChainLength,
                ["partitions"] = m.PartitionCount,
                ["processors"] = new JsonArray([.. m.Processors.Select(p => (JsonNode?)p)]),
                ["entries"] = m.Entries,
                ["bytes"] = m.Bytes,
                ["files"] = m.Files.Count,
                ["durationMs"] = m.DurationMilliseconds,
                ["sourceOffsets"] = new JsonObject([.. m.SourceOffsets.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => KeyValuePair.Create(o.Key, (JsonNode?)o.Value))]),
                ["sinkTransactions"] = m.SinkTransactions.Values.Sum(t => t.Count),
            })]),
        });
    }

    internal static IResult Json(JsonNode node) => Results.Json(node, InspectorJson.Options);

    internal static IResult UnknownRun(string runId) =>
        InspectorErrors.NotFound("unknown_run", $"There is no run '{runId}' in this store; list the runs with GET api/v1/runs.");

    internal static async Task<FlowRunInfo?> FindRunAsync(InspectedView view, string runId, CancellationToken cancellationToken)
    {
        try
        {
            return await view.Runner.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    internal static JsonObject RunJson(FlowRunInfo run) => new()
    {
        ["runId"] = run.RunId,
        ["flow"] = run.FlowName,
        ["status"] = JsonNamingPolicy.CamelCase.ConvertName(run.Status.ToString()),
        ["steps"] = run.Steps,
        ["startedAt"] = run.StartedAt,
        ["updatedAt"] = run.UpdatedAt,
        ["error"] = run.Error,
        ["forkedFromRun"] = run.ForkedFromRun,
        ["forkedFromStep"] = run.ForkedFromStep,
        ["interruptedAt"] = run.InterruptedAt,
        ["question"] = run.Question,
    };

    private static JsonObject StatusCounts(FlowRunPage page) =>
        new([.. page.StatusCounts.OrderBy(c => c.Key).Select(c => KeyValuePair.Create(JsonNamingPolicy.CamelCase.ConvertName(c.Key.ToString()), (JsonNode?)c.Value))]);

    /// <summary>A committed step: its index, node, action, time, and the keys it wrote (<c>step/key</c> for a step's own state).</summary>
    internal static JsonObject StepJson(FlowCheckpoint checkpoint) => new()
    {
        ["index"] = checkpoint.Index,
        ["node"] = checkpoint.NodeName,
        ["action"] = checkpoint.Action,
        ["at"] = checkpoint.At,
        ["keys"] = new JsonArray([.. checkpoint.Changes.Select(c => (JsonNode?)JsonValue.Create(c.Step is null ? c.Key : $"{c.Step}/{c.Key}"))]),
    };

    internal static string ScopeText(StateScope scope) => scope.IsGlobal ? string.Empty : scope.Path;

    private static JsonObject ScopeJson(StateScope scope) => new()
    {
        ["scope"] = ScopeText(scope),
        ["scopeKey"] = scope.StorageKey,
        ["name"] = scope.IsGlobal ? "(global)" : scope.Name,
        ["kind"] = scope.IsGlobal ? "global" : scope.Kind.ToString().ToLowerInvariant(),
    };

    private static IResult UnknownStep(string runId, long index, IReadOnlyList<FlowCheckpoint> history) =>
        InspectorErrors.NotFound(
            "unknown_step",
            history.Count == 0
                ? $"Run '{runId}' keeps no history (FlowRunnerOptions.History was off), so it has no step {index} to show."
                : $"Run '{runId}' has no kept step {index}; its kept steps are {history[0].Index} to {history[^1].Index}.");

    // Where the run goes next: the node an interrupted run waits in, the recorded next node, or (before its first step) the start.
    private static string? NextNode(FlowRunInfo run, FlowGraph? graph)
    {
        if (run.Status == FlowRunStatus.Interrupted)
        {
            return run.InterruptedAt;
        }

        return run.Status == FlowRunStatus.Completed ? null : run.NextNode ?? graph?.Start;
    }

    private JsonNode? Preview(string key, StateEntry entry)
    {
        if (values.IsRedacted(key))
        {
            return InspectorValues.RedactedText;
        }

        const int PreviewChars = 160;
        var text = entry.Value.Length > PreviewChars * 4
            ? System.Text.Encoding.UTF8.GetString(entry.Value.Span[..(PreviewChars * 4)])
            : System.Text.Encoding.UTF8.GetString(entry.Value.Span);
        return text.Length > PreviewChars ? text[..PreviewChars] + "…" : text;
    }

    private JsonObject Redact(JsonObject state)
    {
        var shown = new JsonObject();
        foreach (var (key, value) in state)
        {
            shown[key] = values.Field(key, value);
        }

        return shown;
    }

    private JsonArray Diff(JsonObject before, JsonObject after)
    {
        var diff = new JsonArray();
        foreach (var key in before.Select(p => p.Key).Union(after.Select(p => p.Key)).Order(StringComparer.Ordinal))
        {
            var had = before.TryGetPropertyValue(key, out var old);
            var has = after.TryGetPropertyValue(key, out var now);
            if (had && has && JsonNode.DeepEquals(old, now))
            {
                continue;
            }

            diff.Add(new JsonObject
            {
                ["key"] = key,
                ["change"] = !had ? "added" : !has ? "removed" : "changed",
                ["before"] = had ? values.Field(key, old) : null,
                ["after"] = has ? values.Field(key, now) : null,
            });
        }

        return diff;
    }
}
