using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowState.Flows;
using Microsoft.AspNetCore.Http;

namespace FlowState.Inspector;

/// <summary>
/// Agent Framework workflow sessions whose checkpoints <c>FlowState.AgentFramework</c> keeps in the store: found by
/// their layout (a session is a scope inside a custom scope holding <c>checkpoint:{id}</c> keys), listed with their
/// checkpoints, and the latest checkpoint read for the workflow's graph, where it stands and the requests it waits on.
/// </summary>
internal sealed class InspectorAgentFrameworkApi(InspectedStore store, FlowStateInspectorOptions options, InspectorValues values)
{
    public async Task<IResult> ListSessionsAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!InspectorQuery.TryPaging(request, options, out var paging, out var error))
        {
            return error!;
        }

        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var sessions = await FindSessionsAsync(view, cancellationToken).ConfigureAwait(false);
        var newestFirst = Comparer<Session>.Create(static (a, b) =>
            b.Checkpoints[^1].Created.CompareTo(a.Checkpoints[^1].Created) is var byTime and not 0 ? byTime : string.CompareOrdinal(a.Scope.Path, b.Scope.Path));
        var items = new JsonArray();
        foreach (var session in paging.Of(sessions, newestFirst))
        {
            var item = SessionJson(session);
            item["waiting"] = ReadLatest(session)?.Pending.Count ?? 0;
            items.Add(item);
        }

        return InspectorReadApi.Json(new JsonObject
        {
            ["total"] = sessions.Count,
            ["offset"] = paging.Offset,
            ["limit"] = paging.Limit,
            ["items"] = items,
        });
    }

    public async Task<IResult> GetSessionAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!InspectorQuery.TryScope(request, "scope", out var scope, out var error))
        {
            return error!;
        }

        if (!AgentFrameworkCheckpoint.IsSessionScope(scope))
        {
            return InspectorErrors.BadRequest(
                "bad_scope",
                $"'{InspectorReadApi.ScopeText(scope)}' is not an Agent Framework session's scope: a session is a scope inside a custom scope, e.g. custom:agent-framework:session-1: (GET api/v1/agent-framework/sessions lists them).");
        }

        await using var view = await store.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (await ReadSessionAsync(view, scope, cancellationToken).ConfigureAwait(false) is not { } session)
        {
            return InspectorErrors.NotFound(
                "unknown_session",
                $"There is no Agent Framework session in '{InspectorReadApi.ScopeText(scope)}' (no checkpoint there: never written, or deleted); GET api/v1/agent-framework/sessions lists those there are.");
        }

        var checkpoints = session.Checkpoints;
        var latest = ReadLatest(session);
        var json = SessionJson(session);
        json["checkpoints"] = new JsonArray([.. checkpoints.Select(c => (JsonNode)new JsonObject
        {
            ["id"] = c.Id,
            ["key"] = c.Key,
            ["parent"] = c.Parent,
            ["created"] = c.Created,
            ["step"] = c.Step,
            ["version"] = c.Version,
            ["bytes"] = c.Bytes,
        })]);
        json["graph"] = latest?.Graph is { } graph ? JsonSerializer.SerializeToNode(graph, InspectorJson.Options) : null;
        json["nodeStatus"] = latest is null ? null : new JsonObject([.. latest.NodeStatus.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))]);
        json["pending"] = new JsonArray([.. (latest?.Pending ?? []).Select(p => (JsonNode)new JsonObject
        {
            ["requestId"] = p.RequestId,
            ["port"] = p.Port,
            ["data"] = values.Field(checkpoints[^1].Key, p.Data),
        })]);
        return InspectorReadApi.Json(json);
    }

    private static JsonObject SessionJson(Session session) => new()
    {
        ["sessionId"] = session.Scope.Name,
        ["scope"] = InspectorReadApi.ScopeText(session.Scope),
        ["scopeKey"] = session.Scope.StorageKey,
        ["root"] = InspectorReadApi.ScopeText(session.Scope.Parent!),
        ["count"] = session.Checkpoints.Count,
        ["firstCreated"] = session.Checkpoints[0].Created,
        ["lastCreated"] = session.Checkpoints[^1].Created,
        ["lastStep"] = session.Checkpoints[^1].Step,
    };

    // On a store of this process the scope tree leads to the sessions (custom scopes' child scopes); elsewhere every key
    // named checkpoint:… is listed.
    private static async Task<List<Session>> FindSessionsAsync(InspectedView view, CancellationToken cancellationToken)
    {
        var candidates = new List<StateScope>();
        if (view.Local is { } local)
        {
            foreach (var custom in local.ListChildScopes(StateScope.Global))
            {
                if (custom.Scope.Kind == ScopeSegmentKind.Custom)
                {
                    candidates.AddRange(local.ListChildScopes(custom.Scope).Select(child => child.Scope).Where(AgentFrameworkCheckpoint.IsSessionScope));
                }
            }
        }
        else
        {
            var seen = new HashSet<StateScope>();
            await foreach (var key in view.For(StateScope.Global).ListAllAsync(AgentFrameworkCheckpoint.KeyPrefix, cancellationToken).ConfigureAwait(false))
            {
                if (AgentFrameworkCheckpoint.IsSessionScope(key.Scope) && seen.Add(key.Scope))
                {
                    candidates.Add(key.Scope);
                }
            }
        }

        var sessions = new List<Session>();
        foreach (var scope in candidates)
        {
            if (await ReadSessionAsync(view, scope, cancellationToken).ConfigureAwait(false) is { } session)
            {
                sessions.Add(session);
            }
        }

        return sessions;
    }

    // A session's checkpoints in the order they were written (by version), as the checkpoint store lists them, and the
    // newest one's entry (what the session's view reads further); null when the scope holds none.
    private static async Task<Session?> ReadSessionAsync(InspectedView view, StateScope scope, CancellationToken cancellationToken)
    {
        var store = view.For(scope);
        var checkpoints = new List<AgentFrameworkCheckpoint>();
        StateEntry? latest = null;
        await foreach (var key in store.ListKeysAsync(AgentFrameworkCheckpoint.KeyPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (await store.GetEntryAsync(key, cancellationToken).ConfigureAwait(false) is { } entry && AgentFrameworkCheckpoint.TryRead(key, entry) is { } checkpoint)
            {
                checkpoints.Add(checkpoint);
                if (latest is null || entry.Version > latest.Version)
                {
                    latest = entry;
                }
            }
        }

        checkpoints.Sort(static (a, b) => a.Version.CompareTo(b.Version));
        return latest is null ? null : new Session(scope, checkpoints, latest);
    }

    private static LatestCheckpoint? ReadLatest(Session session)
    {
        try
        {
            using var document = JsonDocument.Parse(session.Latest.Value);
            return document.RootElement.TryGetProperty("value", out var value) ? LatestCheckpoint.Read(session.Scope.Name, value) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A session: its scope, its checkpoints oldest first, and the newest one's stored entry.</summary>
    private sealed record Session(StateScope Scope, List<AgentFrameworkCheckpoint> Checkpoints, StateEntry Latest);

    /// <summary>What the latest checkpoint's Agent Framework JSON tells: the workflow's graph, where each executor stands, the requests it waits on.</summary>
    private sealed record LatestCheckpoint(FlowGraph? Graph, Dictionary<string, string> NodeStatus, List<(string RequestId, string Port, JsonNode? Data)> Pending)
    {
        public static LatestCheckpoint Read(string sessionId, JsonElement value)
        {
            var pending = new List<(string, string, JsonNode?)>();
            var waiting = new HashSet<string>(StringComparer.Ordinal);
            var queued = new HashSet<string>(StringComparer.Ordinal);
            var instantiated = new HashSet<string>(StringComparer.Ordinal);
            if (value.TryGetProperty("runnerData", out var runner) && runner.ValueKind == JsonValueKind.Object)
            {
                foreach (var request in Items(runner, "outstandingRequests"))
                {
                    var port = request.TryGetProperty("portInfo", out var info) && info.TryGetProperty("portId", out var id) ? id.GetString() ?? "?" : "?";
                    var requestId = request.TryGetProperty("requestId", out var rid) ? rid.GetString() ?? "?" : "?";
                    var data = request.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("value", out var v) ? JsonNode.Parse(v.GetRawText()) : null;
                    pending.Add((requestId, port, data));
                    waiting.Add(port);
                }

                if (runner.TryGetProperty("queuedMessages", out var messages) && messages.ValueKind == JsonValueKind.Object)
                {
                    queued.UnionWith(messages.EnumerateObject().Where(m => m.Value.ValueKind != JsonValueKind.Array || m.Value.GetArrayLength() > 0).Select(m => m.Name));
                }

                instantiated.UnionWith(Items(runner, "instantiatedExecutors").Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            }

            var graph = ReadGraph(sessionId, value);
            var status = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var node in graph?.Nodes ?? [])
            {
                status[node.Name] = waiting.Contains(node.Name) ? "waiting" : queued.Contains(node.Name) ? "next" : instantiated.Contains(node.Name) ? "done" : "pending";
            }

            return new LatestCheckpoint(graph, status, pending);
        }

        private static FlowGraph? ReadGraph(string sessionId, JsonElement value)
        {
            if (!value.TryGetProperty("workflow", out var workflow) || workflow.ValueKind != JsonValueKind.Object
                || !workflow.TryGetProperty("executors", out var executors) || executors.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var nodes = executors.EnumerateObject().Select(e => new FlowGraphNode(e.Name, "executor", [])).ToList();
            var edges = new List<FlowGraphEdge>();
            if (workflow.TryGetProperty("edges", out var bySource) && bySource.ValueKind == JsonValueKind.Object)
            {
                foreach (var source in bySource.EnumerateObject().Where(s => s.Value.ValueKind == JsonValueKind.Array))
                {
                    foreach (var edge in source.Value.EnumerateArray())
                    {
                        if (!edge.TryGetProperty("connection", out var connection))
                        {
                            continue;
                        }

                        // A fan-in edge is listed under each of its sources; one arrow per source and sink.
                        var action = edge.TryGetProperty("kind", out var kind) && kind.TryGetInt32(out var k) ? k switch
                        {
                            0 => "default",
                            1 => "fan-out",
                            2 => "fan-in",
                            _ => string.Create(CultureInfo.InvariantCulture, $"kind {k}"),
                        } : "default";
                        foreach (var sink in Items(connection, "sinkIds").Where(s => s.ValueKind == JsonValueKind.String))
                        {
                            var added = new FlowGraphEdge(source.Name, action, sink.GetString()!);
                            if (!edges.Contains(added))
                            {
                                edges.Add(added);
                            }
                        }
                    }
                }
            }

            var start = workflow.TryGetProperty("startExecutorId", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : nodes.FirstOrDefault()?.Name ?? string.Empty;
            return new FlowGraph(sessionId, start, nodes, edges);
        }

        private static JsonElement[] Items(JsonElement parent, string name) =>
            parent.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? [.. array.EnumerateArray()] : [];
    }
}
