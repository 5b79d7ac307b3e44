using System.Diagnostics;
using System.Text.Json.Nodes;
using FlowState.Conformance;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlowState.Inspector.Tests;

/// <summary>
/// The page in real headless Chromium, served by the real <c>flowstate serve</c> over a store the real
/// <c>flowstate run</c> wrote. Each test saves a screenshot (bin/…/screenshots).
/// </summary>
public sealed class InspectorBrowserTests : IClassFixture<BrowserFixture>, IDisposable
{
    private const string Token = "browser-test-token";
    private static readonly string WordCount = Path.Combine(AppContext.BaseDirectory, "examples", "flows", "word-count.yaml");

    private readonly BrowserFixture _browser;
    private readonly TemporaryDirectory _directory = new();

    static InspectorBrowserTests() => SetDefaultExpectTimeout(60_000);

    public InspectorBrowserTests(BrowserFixture browser) => _browser = browser;

    private string StorePath => _directory.File("flowstate.db");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_runs_list_shows_both_word_count_runs()
    {
        await RunWordCountTwiceAsync();
        await using var serve = await ServeAsync();
        var page = await OpenAsync(serve);

        await Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#runs tbody")).ToContainTextAsync("word-count_1");
        await Expect(page.Locator("#runs tbody")).ToContainTextAsync("word-count_2");
        await Expect(page.Locator("#mode")).ToHaveTextAsync("read-only");
        await ScreenshotAsync(page, "runs");
    }

    [Fact]
    public async Task A_run_shows_its_four_steps_and_its_graph_and_a_step_its_state_diff()
    {
        await RunWordCountTwiceAsync();
        await using var serve = await ServeAsync();
        var page = await OpenAsync(serve);

        await page.Locator("#runs a", new() { HasText = "word-count_1" }).ClickAsync();
        await Expect(page.Locator("svg.graph .node")).ToHaveCountAsync(4);
        await Expect(page.Locator("svg.graph .node[data-status='done']")).ToHaveCountAsync(4);
        var steps = page.Locator("#steps li");
        await Expect(steps).ToHaveCountAsync(5);
        foreach (var node in new[] { "read", "count", "rank", "report" })
        {
            await Expect(page.Locator("#steps")).ToContainTextAsync(node);
        }

        await ScreenshotAsync(page, "run");
        await page.Locator("#steps li[data-step='2'] a").ClickAsync();
        await Expect(page.Locator("#step h2").First).ToContainTextAsync("Step #2: count");
        await Expect(page.Locator("#diff tr[data-key='counts'] td.added")).ToHaveTextAsync("added");
        await Expect(page.Locator("#step .json").Last).ToContainTextAsync("\"checkpoint\"");
        await ScreenshotAsync(page, "step");
    }

    [Fact]
    public async Task The_state_browser_goes_from_a_scope_down_to_a_key()
    {
        await RunWordCountTwiceAsync();
        await using var serve = await ServeAsync();
        var page = await OpenAsync(serve);

        await page.Locator("nav a", new() { HasText = "State" }).ClickAsync();
        await page.Locator("#scopes a", new() { HasText = "workflow:word-count_1" }).ClickAsync();
        await Expect(page.Locator(".breadcrumb")).ToContainTextAsync("workflow:word-count_1");
        await page.Locator("#keys a", new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^summary$") }).ClickAsync();
        await Expect(page.Locator("#key h2").First).ToHaveTextAsync("summary");
        await Expect(page.Locator("#key dl")).ToContainTextAsync("Version");
        await Expect(page.Locator("#key")).ToContainTextAsync("History");
        await ScreenshotAsync(page, "state");
    }

    [Fact]
    public async Task A_flow_running_in_another_process_shows_its_steps_live()
    {
        await RunWordCountTwiceAsync();
        await using var serve = await ServeAsync();
        var page = await OpenAsync(serve);
        await Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(2);
        var slow = _directory.File("slow.yaml");
        await File.WriteAllTextAsync(slow, $"flow: word-count\ninput:\n  files: [{Path.Combine(AppContext.BaseDirectory, "examples", "flows", "texts", "state.txt")}]\n  step_delay_ms: 1500\n");

        await using var run = CliProcess.Start("run", slow, "--store", StorePath);
        await Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(3);
        await page.Locator("#runs a", new() { HasText = "word-count_3" }).ClickAsync();
        // read and count each pause 1.5 s (step_delay_ms): the start, then read, appear while the run is still going.
        var seen = new List<(int Steps, DateTimeOffset At)>();
        foreach (var steps in new[] { 1, 2 })
        {
            await Expect(page.Locator("#steps li")).ToHaveCountAsync(steps);
            seen.Add((steps, DateTimeOffset.UtcNow));
            await Expect(page.Locator("#run-status")).ToHaveTextAsync("running");
        }

        await ScreenshotAsync(page, "live");
        await Expect(page.Locator("#steps li")).ToHaveCountAsync(5);
        await Expect(page.Locator("#steps li[data-step='2']")).ToContainTextAsync("count");
        await run.WaitForExitAsync();
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("completed");
        var history = await HistoryAsync(serve, "word-count_3");
        var lags = seen.Select(s => (s.At - DateTimeOffset.Parse((string)history[s.Steps - 1]!["at"]!, System.Globalization.CultureInfo.InvariantCulture)).TotalMilliseconds).ToList();
        Console.WriteLine($"inspector live lag per step (ms): {string.Join(", ", lags.Select(l => l.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}");
        // Generous on a busy machine; the measured lag is printed above and recorded in docs/performance.md.
        Assert.All(lags, lag => Assert.InRange(lag, -1_000, 10_000));
    }

    [Fact]
    public async Task With_writes_allowed_a_fork_from_a_step_opens_the_new_run()
    {
        await RunWordCountTwiceAsync();
        await using var serve = await ServeAsync("--allow-writes");
        var page = await OpenAsync(serve);
        await Expect(page.Locator("#mode")).ToHaveTextAsync("writes allowed");

        await page.Locator("#runs a", new() { HasText = "word-count_1" }).ClickAsync();
        await page.Locator("#steps li[data-step='2'] a").ClickAsync();
        await page.Locator("#fork").ClickAsync();
        await Expect(page.Locator("main")).ToContainTextAsync("Forked from");
        await Expect(page.Locator("main")).ToContainTextAsync("word-count_1 after step 2");
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("running");
        await ScreenshotAsync(page, "fork");
        await page.Locator("nav a", new() { HasText = "Runs" }).ClickAsync();
        await Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(3);

        await page.Locator("#prune select[name='status']").SelectOptionAsync("completed");
        await page.Locator("#prune button", new() { HasText = "Dry run" }).ClickAsync();
        await Expect(page.Locator("#prune-result")).ToHaveTextAsync("Would delete 2 run(s): word-count_2, word-count_1");
        await Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(3);
        await page.Locator("#prune input[name='keep']").FillAsync("1");
        await page.Locator("#prune button", new() { HasText = "Prune" }).ClickAsync();
        await Expect(page.Locator("#prune-result")).ToHaveTextAsync("Deleted 1 run(s): word-count_1");
        await Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task A_run_killed_mid_way_is_resumed_from_the_page_and_completes()
    {
        var slow = _directory.File("slow.yaml");
        await File.WriteAllTextAsync(slow, $"flow: word-count\ninput:\n  files: [{Path.Combine(AppContext.BaseDirectory, "examples", "flows", "texts", "state.txt")}]\n  step_delay_ms: 1500\n");
        await using (var killed = CliProcess.Start("run", slow, "--store", StorePath))
        {
            await killed.WaitForLineAsync("run word-count_1: flow word-count");
        }

        await using var serve = await ServeAsync("--allow-writes");
        var page = await OpenAsync(serve);
        await page.Locator("#runs a", new() { HasText = "word-count_1" }).ClickAsync();
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("running");

        await page.Locator("#resume").ClickAsync();

        await Expect(page.Locator("#run-status")).ToHaveTextAsync("completed");
        await Expect(page.Locator("#steps li")).ToHaveCountAsync(5);
        await ScreenshotAsync(page, "resumed");
    }

    [Fact]
    public async Task Without_the_token_the_page_asks_for_it_and_the_api_refuses_every_call()
    {
        await RunWordCountTwiceAsync();
        await using var serve = await ServeAsync();
        var page = await _browser.Browser.NewPageAsync();

        await page.GotoAsync(serve.Address[..serve.Address.IndexOf('#', StringComparison.Ordinal)]);
        await Expect(page.Locator("#token")).ToBeVisibleAsync();
        var statuses = await page.EvaluateAsync<int[]>("() => Promise.all(['info', 'runs', 'scopes', 'keys', 'statistics'].map(p => fetch('api/v1/' + p).then(r => r.status)))");
        await ScreenshotAsync(page, "token");

        Assert.All(statuses, status => Assert.Equal(401, status));
        await page.Locator("#token input").FillAsync(Token);
        await page.Locator("#token button").ClickAsync();
        await Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task Long_keys_and_a_1_MB_value_keep_the_layout_and_the_value_downloads_whole()
    {
        var longKey = "customer/" + new string('k', 300);
        var big = new { text = new string('x', 1_000_000) }; // 1 MB of JSON, just under the default 1 MiB value limit
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new Sqlite.SqliteStateBackend(StorePath) }))
        {
            await store.For(StateScope.Global).SetAsync(longKey, big);
            await store.For(StateScope.Custom(new string('n', 200))).SetAsync("small", 1);
        }

        await using var serve = await ServeAsync();
        var page = await OpenAsync(serve);

        await page.Locator("nav a", new() { HasText = "State" }).ClickAsync();
        await page.Locator("#keys a").First.ClickAsync();
        await Expect(page.Locator("#key .notice")).ToContainTextAsync("Too large to show whole (1000011 bytes)");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#key a", new() { HasText = "Download the whole value" }).ClickAsync());
        var saved = _directory.File("download.json");
        await download.SaveAsAsync(saved);
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        await ScreenshotAsync(page, "large-value");

        Assert.Equal(1_000_011, new FileInfo(saved).Length);
        Assert.True(overflow <= 0, $"the page is {overflow} px wider than the window");
        await page.Locator(".breadcrumb a").First.ClickAsync();
        await Expect(page.Locator("#scopes a")).ToHaveCountAsync(1);
        Assert.True(await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth") <= 0);
    }

    [Fact]
    public async Task A_pipeline_s_checkpoints_are_listed_with_their_offsets()
    {
        var pipeline = Path.Combine(AppContext.BaseDirectory, "examples", "streams", "word-count.yaml");
        await CliProcess.RunInAsync(_directory.Path, "run", pipeline);
        await using var serve = await ServeInAsync(_directory.Path, "--pipeline", pipeline);
        var page = await OpenAsync(serve);

        await page.Locator("nav a", new() { HasText = "Pipelines" }).ClickAsync();
        await page.Locator("#pipelines a", new() { HasText = "word-count" }).ClickAsync();
        await Expect(page.Locator("#checkpoints tbody tr").First).ToContainTextAsync("full");
        await Expect(page.Locator("#checkpoints tbody tr").First).ToContainTextAsync("state:");
        await ScreenshotAsync(page, "checkpoints");
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Add("X-FlowState-Token", Token);
        var root = serve.Address[..serve.Address.IndexOf('#', StringComparison.Ordinal)];
        var checkpoints = JsonNode.Parse(await client.GetStringAsync($"{root}api/v1/pipelines/word-count/checkpoints"))!["items"]!.AsArray();
        using var unknown = await client.GetAsync($"{root}api/v1/pipelines/nope/checkpoints");

        Assert.NotEmpty(checkpoints);
        Assert.All(checkpoints, c => Assert.Equal(2, (int)c!["partitions"]!));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private async Task RunWordCountTwiceAsync()
    {
        for (var i = 0; i < 2; i++)
        {
            await CliProcess.RunAsync("run", WordCount, "--store", StorePath);
        }
    }

    private Task<Served> ServeAsync(params string[] extra) => ServeInAsync(null, extra);

    private async Task<Served> ServeInAsync(string? workingDirectory, params string[] extra)
    {
        var serve = CliProcess.StartIn(workingDirectory, ["serve", "--store", StorePath, "--port", "0", "--token", Token, .. extra]);
        var line = await serve.WaitForLineAsync("#token=");
        var start = line.IndexOf("http://", StringComparison.Ordinal);
        return new Served(serve, line[start..]);
    }

    private async Task<IPage> OpenAsync(Served serve)
    {
        var page = await _browser.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 900 } });
        await page.GotoAsync(serve.Address);
        await Expect(page.Locator("body[data-ready='true']")).ToHaveCountAsync(1);
        return page;
    }

    private static async Task<JsonArray> HistoryAsync(Served serve, string runId)
    {
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Add("X-FlowState-Token", Token);
        var root = serve.Address[..serve.Address.IndexOf('#', StringComparison.Ordinal)];
        var run = JsonNode.Parse(await client.GetStringAsync($"{root}api/v1/runs/{runId}"))!;
        return run["history"]!.AsArray();
    }

    [Fact]
    public async Task An_agent_framework_session_shows_its_workflow_its_waiting_request_and_its_checkpoints()
    {
        int checkpoints;
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new FlowState.Sqlite.SqliteStateBackend(StorePath) }))
        {
            var manager = Microsoft.Agents.AI.Workflows.CheckpointManager.CreateJson(new FlowState.AgentFramework.FlowStateCheckpointStore(store.For(StateScope.Custom("reviews"))));
            await using var run = await Microsoft.Agents.AI.Workflows.InProcessExecution.RunAsync(ReviewWorkflow.Build(), "FlowState keeps the state of workflows.", manager, "review-1");
            checkpoints = run.Checkpoints.Count;
        }

        await using var serve = await ServeAsync();
        var page = await OpenAsync(serve);
        await page.Locator("nav a", new() { HasText = "Agent Framework" }).ClickAsync();
        await Expect(page.Locator("#sessions tbody tr")).ToHaveCountAsync(1);
        await page.Locator("#sessions a", new() { HasText = "review-1" }).ClickAsync();

        await Expect(page.Locator("svg.graph .node")).ToHaveCountAsync(7);
        await Expect(page.Locator("svg.graph .node[data-status='waiting']")).ToHaveAttributeAsync("data-node", "approval");
        await Expect(page.Locator("#pending li[data-port='approval']")).ToContainTextAsync("tone: calm");
        await Expect(page.Locator("#af-checkpoints tbody tr")).ToHaveCountAsync(checkpoints);
        await ScreenshotAsync(page, "agent-framework");

        await page.Locator("#af-checkpoints tbody tr").Last.Locator("a").ClickAsync();
        await Expect(page.Locator("#key")).ToContainTextAsync("stepNumber");
    }

    private static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.Screenshots, $"inspector-{name}.png"), FullPage = true });

    private sealed record Served(CliProcess Process, string Address) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }
}
