using System.Text.Json.Nodes;
using FlowState.Cli;
using FlowState.Conformance;
using FlowState.Flows;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>The <c>flowstate</c> command on a store in PostgreSQL: <c>--store postgres:table:connection string</c>.</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresCliTests(PostgresServer server)
{
    [Fact]
    public async Task The_word_count_flow_runs_on_a_postgres_store_and_its_state_can_be_read_back()
    {
        var store = $"postgres:state_{Guid.NewGuid():N}:{server.ConnectionString}";
        var flow = Path.Combine(TestServerScripts.RepositoryRoot, "examples", "flows", "word-count.yaml");

        var run = await InProcessCli.RunAsync("run", flow, "--store", store);
        var set = await InProcessCli.RunAsync("state", "set", "note", "\"in postgres\"", "--store", store);
        var get = await InProcessCli.RunAsync("state", "get", "note", "--store", store);
        var runs = await InProcessCli.RunAsync("runs", "list", "--store", store);

        Assert.Equal((0, string.Empty), (run.Code, run.Error));
        Assert.Contains("completed: 4 step(s)", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(server.ConnectionString, run.Out, StringComparison.Ordinal);
        Assert.Equal(0, set.Code);
        Assert.Equal("\"in postgres\"", get.Out.Trim());
        Assert.Contains("word-count_1", runs.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_postgres_store_without_a_table_is_a_usage_error()
    {
        var (code, _, error) = await InProcessCli.RunAsync("stats", "--store", "postgres:Host=localhost");

        Assert.Equal(2, code);
        Assert.Contains("postgres:<table>:<connection string>", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_shows_a_table_an_app_holds_open_and_follows_the_runs_it_adds()
    {
        var table = $"served_{Guid.NewGuid():N}";
        await using var app = await StateStore.OpenAsync(new StateStoreOptions { Backend = new PostgresStateBackend(server.ConnectionString, table) });
        var runner = new FlowRunner(app, new FlowRunnerOptions { RetainCompletedRuns = true });
        var flow = new FlowBuilder("orders").Add(Node.Create<bool, bool>(
            "price",
            prep: null,
            exec: (_, _) => ValueTask.FromResult(true),
            post: async (state, _, _, _) =>
            {
                await state.SetAsync("total", 6);
                return null;
            })).Build();
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "order-1" });

        await using var serve = CliProcess.Start("serve", "--store", $"postgres:{table}:{server.ConnectionString}", "--port", "0", "--token", "secret");
        var line = await serve.WaitForLineAsync("#token=");
        var address = line[line.IndexOf("http://", StringComparison.Ordinal)..line.IndexOf('#', StringComparison.Ordinal)];
        using var client = new HttpClient { BaseAddress = new Uri(address + "api/v1/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-FlowState-Token", "secret");
        var before = JsonNode.Parse(await client.GetStringAsync("runs"))!;

        // The page's live feed: the first event at once, the next when the table changed.
        using var events = await client.GetStreamAsync("events");
        using var feed = new StreamReader(events);
        await NextChangedEventAsync(feed);
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "order-2" });
        await NextChangedEventAsync(feed);
        var after = JsonNode.Parse(await client.GetStringAsync("runs"))!;
        var total = JsonNode.Parse(await client.GetStringAsync("key?scope=workflow:order-2:&key=total"))!;

        Assert.Equal(["order-1"], before["items"]!.AsArray().Select(run => (string)run!["runId"]!));
        Assert.Equal(["order-2", "order-1"], after["items"]!.AsArray().Select(run => (string)run!["runId"]!));
        Assert.Equal("6", total["value"]!.ToJsonString());
        Assert.DoesNotContain(server.ConnectionString, serve.Output, StringComparison.Ordinal);

        // The app kept its lock and its writes all along: the inspector took no lock and wrote nothing.
        await app.SetAsync("after", 1);
        Assert.Equal(1, await app.GetAsync<int>("after"));
    }

    private static async Task NextChangedEventAsync(StreamReader feed)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await feed.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line == "event: changed")
            {
                return;
            }
        }

        Assert.Fail("the event stream ended");
    }
}
