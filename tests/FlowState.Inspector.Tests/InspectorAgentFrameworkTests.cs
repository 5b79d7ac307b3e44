using System.Net;
using System.Text.Json.Nodes;
using FlowState.AgentFramework;
using FlowState.Conformance;
using Microsoft.Agents.AI.Workflows;

namespace FlowState.Inspector.Tests;

/// <summary>
/// Agent Framework workflow sessions checkpointed into FlowState, as the inspector's API shows them: found in any
/// custom scope, their checkpoints in order with their parents, the workflow's graph and the request it waits on.
/// </summary>
public sealed class InspectorAgentFrameworkTests : IAsyncLifetime
{
    private InspectorTestStore _store = null!;

    public async Task InitializeAsync() => _store = await InspectorTestStore.OpenAsync();

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Sessions_are_listed_with_their_checkpoints_graph_and_waiting_request()
    {
        var reviews = CheckpointManager.CreateJson(new FlowStateCheckpointStore(_store.Store.For(StateScope.Custom("reviews"))));
        List<CheckpointInfo> waiting;
        await using (var run = await InProcessExecution.RunAsync(ReviewWorkflow.Build(), "FlowState keeps the state of workflows.", reviews, "review-1"))
        {
            waiting = [.. run.Checkpoints];
        }

        var chain = CheckpointManager.CreateJson(new FlowStateCheckpointStore(_store.Store.For(StateScope.Custom("agent-framework"))));
        List<CheckpointInfo> finished;
        await using (var run = await InProcessExecution.RunAsync(AgentFrameworkTestWorkflow.Build([]), AgentFrameworkTestWorkflow.Input, chain, "chain-1"))
        {
            Assert.Equal(AgentFrameworkTestWorkflow.ExpectedOutput, AgentFrameworkTestWorkflow.Output(run));
            finished = [.. run.Checkpoints];
        }

        // Keys named like checkpoints that are not the Agent Framework's: never listed as sessions.
        await _store.Store.For(StateScope.Custom("reviews").Child("not-a-session")).SetAsync("checkpoint:x", new { note = "mine" });
        await _store.Store.For(StateScope.Workflow("run-1")).SetAsync("checkpoint:y", new { parent = (string?)null, created = DateTimeOffset.UnixEpoch, value = new { } });
        await using var server = await InspectorServer.StartAsync(new InspectedStore(_store.Store));

        var sessions = await server.GetJsonAsync("agent-framework/sessions");
        var review = await server.GetJsonAsync("agent-framework/session?scope=custom:reviews:review-1:");
        var done = await server.GetJsonAsync("agent-framework/session?scope=custom:agent-framework:chain-1:");

        Assert.Equal(2, (int)sessions["total"]!);
        var items = sessions["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
        Assert.Equal(["chain-1", "review-1"], items.Select(i => (string)i["sessionId"]!));
        Assert.Equal(["custom:agent-framework:", "custom:reviews:"], items.Select(i => (string)i["root"]!));
        Assert.Equal([finished.Count, waiting.Count], items.Select(i => (int)i["count"]!));
        Assert.Equal([0, 1], items.Select(i => (int)i["waiting"]!));

        var ids = review["checkpoints"]!.AsArray().Select(c => (string)c!["id"]!).ToList();
        Assert.Equal(waiting.Select(c => c.CheckpointId), ids);
        Assert.Equal([null, .. ids[..^1]], review["checkpoints"]!.AsArray().Select(c => (string?)c!["parent"]));
        Assert.Equal(Enumerable.Range(0, ids.Count).Select(i => (long?)i), review["checkpoints"]!.AsArray().Select(c => (long?)c!["step"]));
        var graph = review["graph"]!.AsObject();
        Assert.Equal("draft", (string)graph["start"]!);
        Assert.Equal(["approval", "collect", "draft", "length", "publish", "spelling", "tone"], graph["nodes"]!.AsArray().Select(n => (string)n!["name"]!).Order(StringComparer.Ordinal));
        var edges = graph["edges"]!.AsArray().Select(e => $"{e!["from"]} -{e["action"]}-> {e["to"]}").ToList();
        Assert.Contains("draft -fan-out-> tone", edges);
        Assert.Contains("length -fan-in-> collect", edges);
        Assert.Contains("collect -default-> approval", edges);
        Assert.Equal(3, edges.Count(e => e.EndsWith("-> collect", StringComparison.Ordinal)));
        Assert.Equal("waiting", (string)review["nodeStatus"]!["approval"]!);
        Assert.Equal("done", (string)review["nodeStatus"]!["draft"]!);
        Assert.Equal("pending", (string)review["nodeStatus"]!["publish"]!);
        var pending = Assert.Single(review["pending"]!.AsArray())!;
        Assert.Equal("approval", (string)pending["port"]!);
        Assert.Equal("length: 39 characters; spelling: fine; tone: calm", (string)pending["data"]!);

        Assert.Equal(finished.Select(c => c.CheckpointId), done["checkpoints"]!.AsArray().Select(c => (string)c!["id"]!));
        Assert.Empty(done["pending"]!.AsArray());
        Assert.DoesNotContain(done["nodeStatus"]!.AsObject(), s => (string)s.Value! is "waiting" or "next");
    }

    [Theory]
    [InlineData("agent-framework/session?scope=custom:reviews:nobody:", HttpStatusCode.NotFound, "unknown_session")]
    [InlineData("agent-framework/session?scope=workflow:run-1:", HttpStatusCode.BadRequest, "bad_scope")]
    [InlineData("agent-framework/session", HttpStatusCode.BadRequest, "bad_scope")]
    [InlineData("agent-framework/session?scope=custom:", HttpStatusCode.BadRequest, "bad_scope")]
    [InlineData("agent-framework/sessions?limit=0", HttpStatusCode.BadRequest, "bad_paging")]
    public async Task A_bad_or_unknown_session_is_a_clear_error(string path, HttpStatusCode status, string code)
    {
        await using var server = await InspectorServer.StartAsync(new InspectedStore(_store.Store));

        using var response = await server.Client.GetAsync(path);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (string)problem["title"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["detail"]));
    }
}
