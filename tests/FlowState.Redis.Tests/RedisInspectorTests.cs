using System.Net;
using System.Text.Json.Nodes;
using FlowState.Flows;
using FlowState.Inspector;
using Xunit;

namespace FlowState.Redis.Tests;

/// <summary>The inspector over state shared on a real redis-server: runs, scopes, keys, and live change events.</summary>
[Collection(SharedRedisServer.Name)]
public sealed class RedisInspectorTests(RedisServer server)
{
    [Fact]
    public async Task The_inspector_shows_runs_and_keys_of_a_shared_store_and_hears_its_changes()
    {
        await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
        {
            Backend = new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = server.Configuration, KeyPrefix = $"inspector-{Guid.NewGuid():N}" }),
        });
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true, History = new FlowHistoryOptions() });
        var flow = new FlowBuilder("greet").Sequence(
            Node.Create("hello", async (state, _) =>
            {
                await state.SetAsync("greeting", "hello");
                return null;
            }),
            Node.Create("bye", async (state, _) =>
            {
                await state.SetAsync("farewell", "bye");
                return null;
            })).Build();
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "greet-1" });
        await store.For(StateScope.Custom("settings")).SetAsync("theme", "dark");

        await using var inspector = await FlowStateInspectorServer.StartAsync(new InspectedStore(store, runner), new IPEndPoint(IPAddress.Loopback, 0), options =>
        {
            options.AccessToken = "redis-token";
            options.LivePollInterval = TimeSpan.FromMilliseconds(20);
        });
        using var client = new HttpClient { BaseAddress = new Uri(inspector.Address, "api/v1/") };
        client.DefaultRequestHeaders.Add("X-FlowState-Token", "redis-token");

        var runs = JsonNode.Parse(await client.GetStringAsync("runs"))!;
        var run = JsonNode.Parse(await client.GetStringAsync("runs/greet-1"))!;
        var step = JsonNode.Parse(await client.GetStringAsync("runs/greet-1/steps/2"))!;
        var scopes = JsonNode.Parse(await client.GetStringAsync("scopes"))!;
        var theme = JsonNode.Parse(await client.GetStringAsync("key?scope=custom:settings:&key=theme"))!;
        using var events = await client.GetAsync("events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync());
        await ReadChangedAsync(reader);
        await store.For(StateScope.Custom("settings")).SetAsync("theme", "light");
        await ReadChangedAsync(reader);

        Assert.True(JsonNode.Parse(await client.GetStringAsync("info"))!["shared"]!.GetValue<bool>());
        Assert.Equal(["greet-1"], runs["items"]!.AsArray().Select(r => (string)r!["runId"]!));
        Assert.Equal("completed", (string)run["status"]!);
        Assert.Equal(["hello", "bye"], run["graph"]!["nodes"]!.AsArray().Select(n => (string)n!["name"]!));
        Assert.Equal(["farewell"], step["diff"]!.AsArray().Select(d => (string)d!["key"]!));
        Assert.Equal(["custom:settings:", "workflow:greet-1:"], scopes["items"]!.AsArray().Select(s => (string)s!["scope"]!));
        Assert.Equal("dark", (string)theme["value"]!);
        Assert.Equal("light", (string)JsonNode.Parse(await client.GetStringAsync("key?scope=custom:settings:&key=theme"))!["value"]!);
    }

    private static async Task ReadChangedAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
        {
            if (line == "event: changed")
            {
                return;
            }
        }

        Assert.Fail("the event stream ended");
    }
}
