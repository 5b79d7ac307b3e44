using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowState.Flows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlowState.Inspector.Tests;

/// <summary>The HTTP API against a real Kestrel server over a SQLite store.</summary>
public sealed class InspectorApiTests : IAsyncLifetime
{
    private InspectorTestStore _store = null!;

    public async Task InitializeAsync() => _store = await InspectorTestStore.OpenAsync();

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Runs_are_listed_newest_first_with_paging_and_filters()
    {
        for (var i = 1; i <= 3; i++)
        {
            await _store.Runner.RunAsync(InspectorTestStore.Orders(), options: new FlowRunOptions { RunId = $"order-{i}" });
        }

        await _store.Runner.RunAsync(new FlowBuilder("other").Add(Node.Create("only", (_, _) => ValueTask.FromResult<string?>(null))).Build(), options: new FlowRunOptions { RunId = "other-1" });
        await using var server = await StartAsync();

        var all = await server.GetJsonAsync("runs");
        var page = await server.GetJsonAsync("runs?limit=2&offset=1");
        var orders = await server.GetJsonAsync("runs?flow=orders&status=completed");

        Assert.Equal(4, (int)all["total"]!);
        Assert.Equal(["other-1", "order-3", "order-2", "order-1"], Ids(all));
        Assert.Equal(["order-3", "order-2"], Ids(page));
        Assert.Equal(3, (int)orders["total"]!);
        Assert.All(orders["items"]!.AsArray(), run => Assert.Equal("completed", (string)run!["status"]!));
    }

    [Theory]
    [InlineData("runs?limit=0", "bad_paging", "limit must be between 1 and 500")]
    [InlineData("runs?limit=501", "bad_paging", "limit must be between 1 and 500")]
    [InlineData("runs?offset=-1", "bad_paging", "offset must be 0 or more")]
    [InlineData("runs?limit=ten", "bad_parameter", "'limit' must be a whole number")]
    [InlineData("runs?status=done", "bad_parameter", "'status' must be one of")]
    [InlineData("runs?since=yesterday", "bad_parameter", "'since' must be a time")]
    [InlineData("keys?scope=workflow:", "bad_scope", "is not a scope")]
    [InlineData("keys?scopeKey=%25", "bad_scope", "is not a scope's storage key")]
    [InlineData("key?key=", "bad_parameter", "Name the key")]
    [InlineData("runs/order-1/diff?from=0", "bad_parameter", "needs both 'from' and 'to'")]
    public async Task Bad_requests_get_a_json_error_naming_the_parameter(string path, string code, string message)
    {
        await _store.Runner.RunAsync(InspectorTestStore.Orders(), options: new FlowRunOptions { RunId = "order-1" });
        await using var server = await StartAsync();

        using var response = await server.Client.GetAsync(path);
        var problem = await ProblemAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (string)problem["title"]!);
        Assert.Contains(message, (string)problem["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_shows_its_graph_steps_and_where_it_goes_next()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flow = InspectorTestStore.Orders(gate.Task);
        var events = _store.Runner.StreamAsync(flow, options: new FlowRunOptions { RunId = "order-1" }).GetAsyncEnumerator();
        await using var server = await StartAsync();
        await AdvanceUntilAsync(events, e => e.Kind == FlowEventKind.StepStarted && e.Node == "price");

        var running = await server.GetJsonAsync("runs/order-1");
        gate.SetResult();
        await AdvanceUntilAsync(events, e => e.IsFinal);
        var done = await server.GetJsonAsync("runs/order-1");

        Assert.Equal("running", (string)running["status"]!);
        Assert.Equal("price", (string)running["next"]!);
        Assert.Equal(["fetch", "price", "check", "ship", "hold"], running["graph"]!["nodes"]!.AsArray().Select(n => (string)n!["name"]!));
        Assert.Contains(running["graph"]!["edges"]!.AsArray(), e => (string)e!["from"]! == "check" && (string)e["action"]! == "review" && (string)e["to"]! == "hold");
        Assert.Equal("completed", (string)done["status"]!);
        Assert.Null(done["next"]);
        Assert.Equal([null, "fetch", "price", "check", "ship"], done["history"]!.AsArray().Select(s => (string?)s!["node"]));
        Assert.Equal("ok", (string)done["history"]![3]!["action"]!);
        Assert.Equal(["items", "customer"], done["history"]![1]!["keys"]!.AsArray().Select(k => (string)k!));
        await events.DisposeAsync();
    }

    [Fact]
    public async Task A_step_shows_the_state_after_it_and_the_diff_to_the_step_before()
    {
        await _store.Runner.RunAsync(InspectorTestStore.Orders(), options: new FlowRunOptions { RunId = "order-1" });
        await using var server = await StartAsync();

        var price = await server.GetJsonAsync("runs/order-1/steps/2");
        var ship = await server.GetJsonAsync("runs/order-1/steps/4");
        var whole = await server.GetJsonAsync("runs/order-1/diff?from=0&to=4");

        Assert.Equal("price", (string)price["node"]!);
        Assert.Equal(1, (long)price["previousIndex"]!);
        Assert.Equal(6, (int)price["state"]!["total"]!);
        var added = Assert.Single(price["diff"]!.AsArray());
        Assert.Equal(("total", "added", 6), ((string)added!["key"]!, (string)added["change"]!, (int)added["after"]!));
        Assert.Equal(
            [("customer", "removed"), ("shipped", "added")],
            ship["diff"]!.AsArray().Select(d => ((string)d!["key"]!, (string)d["change"]!)));
        Assert.Equal(["items", "shipped", "total"], whole["diff"]!.AsArray().Select(d => (string)d!["key"]!));
    }

    [Fact]
    public async Task Unknown_runs_and_steps_are_404_with_the_way_out()
    {
        await _store.Runner.RunAsync(InspectorTestStore.Orders(), options: new FlowRunOptions { RunId = "order-1" });
        await using var server = await StartAsync();

        using var run = await server.Client.GetAsync("runs/nope");
        using var badName = await server.Client.GetAsync("runs/" + Uri.EscapeDataString("a:b"));
        using var step = await server.Client.GetAsync("runs/order-1/steps/9");

        Assert.Equal(HttpStatusCode.NotFound, run.StatusCode);
        Assert.Contains("GET api/v1/runs", (string)(await ProblemAsync(run))["detail"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, badName.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, step.StatusCode);
        Assert.Contains("its kept steps are 0 to 4", (string)(await ProblemAsync(step))["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scopes_and_keys_browse_down_to_a_value_with_its_version_expiry_and_history()
    {
        var options = new StateStoreOptions();
        options.History[StateScope.Custom("settings")] = 10;
        await using var store = await InspectorTestStore.OpenAsync(options);
        var settings = store.Store.For(StateScope.Custom("settings"));
        await settings.SetAsync("theme", "light");
        await settings.SetAsync("theme", "dark", StateWriteOptions.WithTimeToLive(TimeSpan.FromHours(1)));
        await settings.SetAsync("font", "mono");
        await store.Store.For(StateScope.Global).SetAsync("greeting", "hi");
        await using var server = await InspectorServer.StartAsync(new InspectedStore(store.Store));

        var root = await server.GetJsonAsync("scopes");
        var scopeKey = (string)root["items"]![0]!["scopeKey"]!;
        var keys = await server.GetJsonAsync($"keys?scopeKey={Uri.EscapeDataString(scopeKey)}&prefix=th");
        var theme = await server.GetJsonAsync("key?scope=custom:settings:&key=theme");
        var history = await server.GetJsonAsync("key/history?scope=custom:settings:&key=theme");

        Assert.Equal(1, (long)root["keys"]!);
        Assert.Equal(("custom:settings:", "custom", 2L), ((string)root["items"]![0]!["scope"]!, (string)root["items"]![0]!["kind"]!, (long)root["items"]![0]!["keys"]!));
        Assert.Equal(["theme"], keys["items"]!.AsArray().Select(k => (string)k!["key"]!));
        Assert.Equal("\"dark\"", (string)keys["items"]![0]!["preview"]!);
        Assert.Equal("dark", (string)theme["value"]!);
        Assert.Equal((long)keys["items"]![0]!["version"]!, (long)theme["version"]!);
        Assert.NotNull(theme["expiresAt"]);
        Assert.Equal(["dark", "light"], history["items"]!.AsArray().Select(h => (string)h!["value"]!));
    }

    [Fact]
    public async Task Large_values_are_cut_with_a_download_and_redacted_keys_never_leave()
    {
        var big = new string('x', 200_000);
        var global = _store.Store.For(StateScope.Global);
        await global.SetAsync("blob", big);
        await global.SetAsync("db_password", "hunter2");
        await _store.Runner.RunAsync(
            new FlowBuilder("secrets").Add(Node.Create("login", async (state, _) =>
            {
                await state.SetAsync("api_password", "swordfish");
                return null;
            })).Build(),
            options: new FlowRunOptions { RunId = "login-1" });
        await using var server = await StartAsync(options => options.RedactedKeys.Add("*password*"));

        var blob = await server.GetJsonAsync("key?key=blob");
        var raw = await server.Client.GetByteArrayAsync("key/raw?key=blob");
        var secret = await server.GetJsonAsync("key?key=db_password");
        using var rawSecret = await server.Client.GetAsync("key/raw?key=db_password");
        var listing = await server.Client.GetStringAsync("keys");
        var step = await server.Client.GetStringAsync("runs/login-1/steps/1");

        Assert.True((bool)blob["truncated"]!);
        Assert.Equal(64 * 1024, ((string)blob["value"]!).Length);
        Assert.Equal(200_002, (int)blob["size"]!); // the JSON string: quotes included
        Assert.Equal(JsonSerializer.Serialize(big), Encoding.UTF8.GetString(raw));
        Assert.True((bool)secret["redacted"]!);
        Assert.Equal(HttpStatusCode.Forbidden, rawSecret.StatusCode);
        Assert.DoesNotContain("hunter2", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("swordfish", step, StringComparison.Ordinal);
        Assert.Contains("(redacted)", step, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_token_every_call_is_refused()
    {
        await _store.Runner.RunAsync(InspectorTestStore.Orders(), options: new FlowRunOptions { RunId = "order-1" });
        await using var server = await StartAsync(options => options.AllowWrites = true);
        using var anonymous = new HttpClient { BaseAddress = server.Client.BaseAddress };
        using var wrong = new HttpClient { BaseAddress = server.Client.BaseAddress };
        wrong.DefaultRequestHeaders.Add("X-FlowState-Token", "guess");

        foreach (var path in new[] { "info", "runs", "runs/order-1", "runs/order-1/steps/1", "scopes", "keys", "key?key=x", "statistics", "events", "openapi/flowstate-inspector.json" })
        {
            using var response = await anonymous.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            using var guessed = await wrong.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, path);
            Assert.True(guessed.StatusCode == HttpStatusCode.Unauthorized, path);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"), path);
        }

        using var fork = await anonymous.PostAsJsonAsync("runs/order-1/fork", new { step = 1 });
        using var cookie = new HttpRequestMessage(HttpMethod.Delete, "runs/order-1");
        cookie.Headers.Add("Cookie", "token=" + InspectorServer.Token);
        using var deleted = await anonymous.SendAsync(cookie);

        Assert.Equal(HttpStatusCode.Unauthorized, fork.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, deleted.StatusCode);
        Assert.Single(await _store.Runner.ListRunsAsync().ToListAsync());
        using var page = await anonymous.GetAsync(server.Address);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writes_are_refused_unless_allowed_and_nothing_is_written()
    {
        await _store.Runner.RunAsync(InspectorTestStore.Orders(), options: new FlowRunOptions { RunId = "order-1" });
        await _store.Store.For(StateScope.Global).SetAsync("limit", 5);
        await using var server = await StartAsync();

        using var fork = await server.Client.PostAsJsonAsync("runs/order-1/fork", new { step = 1 });
        using var edit = await server.Client.PutAsJsonAsync("key", new { key = "limit", value = 9, expectedVersion = 1 });
        using var delete = await server.Client.DeleteAsync("runs/order-1");
        using var prune = await server.Client.PostAsJsonAsync("runs/prune", new { });

        foreach (var response in new[] { fork, edit, delete, prune })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("--allow-writes", (string)(await ProblemAsync(response))["detail"]!, StringComparison.Ordinal);
        }

        Assert.Single(await _store.Runner.ListRunsAsync().ToListAsync());
        Assert.Equal(5, await _store.Store.For(StateScope.Global).GetAsync<int>("limit"));
    }

    [Fact]
    public async Task Forking_from_a_step_starts_a_new_run_that_records_its_lineage()
    {
        await _store.Runner.RunAsync(InspectorTestStore.Orders(), options: new FlowRunOptions { RunId = "order-1" });
        await using var server = await StartAsync(options => options.AllowWrites = true);

        using var response = await server.Client.PostAsJsonAsync("runs/order-1/fork", new { step = 2, runId = "order-1-again" });
        var forked = await server.GetJsonAsync("runs/order-1-again");
        using var again = await server.Client.PostAsJsonAsync("runs/order-1/fork", new { step = 2, runId = "order-1-again" });
        using var missing = await server.Client.PostAsJsonAsync("runs/order-1/fork", new { step = 42 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(("order-1", 2L), ((string)forked["forkedFromRun"]!, (long)forked["forkedFromStep"]!));
        Assert.Equal("check", (string)forked["next"]!);
        Assert.Equal(5, forked["graph"]!["nodes"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var result = await _store.Runner.ResumeAsync(InspectorTestStore.Orders(), "order-1-again");
        Assert.Equal(FlowRunStatus.Completed, (await _store.Runner.GetRunAsync(result.RunId))!.Status);
    }

    [Fact]
    public async Task An_interrupted_run_is_answered_through_the_api_and_completes()
    {
        var flow = ApprovalFlow();
        var stopped = await _store.Runner.RunAsync(flow, options: new FlowRunOptions { RunId = "review-1" });
        await using var server = await StartAsync(options =>
        {
            options.AllowWrites = true;
            options.Flows.Add(flow);
        });

        var waiting = await server.GetJsonAsync("runs/review-1");
        using var noAnswer = await server.Client.PostAsync("runs/review-1/resume", null);
        var events = _store.Runner.WatchAsync("review-1").GetAsyncEnumerator();
        using var answered = await server.Client.PostAsJsonAsync("runs/review-1/resume", new { input = new { approved = true } });
        await AdvanceUntilAsync(events, e => e.IsFinal);
        var done = await server.GetJsonAsync("runs/review-1");
        using var again = await server.Client.PostAsync("runs/review-1/resume", null);

        Assert.Equal(FlowRunStatus.Interrupted, stopped.Status);
        Assert.Equal(("interrupted", "approve", "approve the order?"), ((string)waiting["status"]!, (string)waiting["interruptedAt"]!, (string)waiting["question"]!));
        Assert.Equal(HttpStatusCode.BadRequest, noAnswer.StatusCode);
        Assert.Equal("input_required", (string)(await ProblemAsync(noAnswer))["title"]!);
        Assert.Equal(HttpStatusCode.Accepted, answered.StatusCode);
        Assert.Equal("completed", (string)done["status"]!);
        Assert.True(await _store.Store.For(StateScope.Workflow("review-1")).GetAsync<bool>("approved"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        await events.DisposeAsync();
    }

    [Fact]
    public async Task A_run_of_a_flow_the_inspector_does_not_have_is_not_resumed()
    {
        await _store.Runner.RunAsync(ApprovalFlow(), options: new FlowRunOptions { RunId = "review-1" });
        await using var server = await StartAsync(options => options.AllowWrites = true);

        using var response = await server.Client.PostAsJsonAsync("runs/review-1/resume", new { input = new { approved = true } });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("FlowStateInspectorOptions.Flows", (string)(await ProblemAsync(response))["detail"]!, StringComparison.Ordinal);
        Assert.Equal(FlowRunStatus.Interrupted, (await _store.Runner.GetRunAsync("review-1"))!.Status);
    }

    [Fact]
    public async Task An_edit_needs_the_version_it_read_and_bad_bodies_change_nothing()
    {
        var global = _store.Store.For(StateScope.Global);
        var version = await global.SetAsync("limit", 5);
        await using var server = await StartAsync(options => options.AllowWrites = true);

        using var stale = await server.Client.PutAsJsonAsync("key", new { key = "limit", value = 7, expectedVersion = version - 1 });
        using var malformed = await server.Client.PutAsync("key", new StringContent("{\"key\": \"limit\", ", Encoding.UTF8, "application/json"));
        using var notJson = await server.Client.PutAsync("key", new StringContent("key=limit", Encoding.UTF8, "text/plain"));
        using var noVersion = await server.Client.PutAsJsonAsync("key", new { key = "limit", value = 7 });
        var valueAfterRefusals = await global.GetAsync<int>("limit");
        using var edit = await server.Client.PutAsJsonAsync("key", new { key = "limit", value = new { max = 9 }, expectedVersion = version });
        using var create = await server.Client.PutAsJsonAsync("key", new { scope = "custom:app:", key = "fresh", value = true, expectedVersion = 0 });

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(version, (long)(await ProblemAsync(stale))["actualVersion"]!);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("bad_json", (string)(await ProblemAsync(malformed))["title"]!);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noVersion.StatusCode);
        Assert.Equal(5, valueAfterRefusals);
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        Assert.Equal(9, (await global.GetAsync<JsonObject>("limit"))!["max"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        Assert.True(await _store.Store.For(StateScope.Custom("app")).GetAsync<bool>("fresh"));
    }

    [Fact]
    public async Task Runs_are_deleted_and_pruned_through_the_api()
    {
        for (var i = 1; i <= 3; i++)
        {
            await _store.Runner.RunAsync(InspectorTestStore.Orders(), options: new FlowRunOptions { RunId = $"order-{i}" });
        }

        await using var server = await StartAsync(options => options.AllowWrites = true);

        using var delete = await server.Client.DeleteAsync("runs/order-1");
        using var deletedAgain = await server.Client.DeleteAsync("runs/order-1");
        var dryRun = await (await server.Client.PostAsJsonAsync("runs/prune", new { keepLast = 1, dryRun = true })).Content.ReadFromJsonAsync<JsonObject>();
        var runsAfterDryRun = (await _store.Runner.ListRunsAsync().ToListAsync()).Count;
        using var badPrune = await server.Client.PostAsJsonAsync("runs/prune", new { keepLast = -1 });
        var pruned = await (await server.Client.PostAsJsonAsync("runs/prune", new { keepLast = 1 })).Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, deletedAgain.StatusCode);
        Assert.Equal(["order-2"], dryRun!["runs"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(2, runsAfterDryRun);
        Assert.Equal(HttpStatusCode.BadRequest, badPrune.StatusCode);
        Assert.Equal(["order-2"], pruned!["runs"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(["order-3"], (await _store.Runner.ListRunsAsync().ToListAsync()).Select(r => r.RunId));
    }

    [Fact]
    public async Task A_run_s_events_stream_each_step_as_it_commits()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = _store.Runner.StreamAsync(InspectorTestStore.Orders(gate.Task), options: new FlowRunOptions { RunId = "order-1" }).GetAsyncEnumerator();
        await AdvanceUntilAsync(events, e => e.Kind == FlowEventKind.StepStarted && e.Node == "price");
        await using var server = await StartAsync(options => options.LivePollInterval = TimeSpan.FromMilliseconds(20));
        using var response = await server.Client.GetAsync("runs/order-1/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var before = await ReadEventsUntilAsync(reader, e => e.Name == "run");
        gate.SetResult();
        // The two sources interleave in no fixed order: read until the record says completed and the runner said so.
        bool recordDone = false, runnerDone = false;
        var after = await ReadEventsUntilAsync(reader, e =>
        {
            recordDone |= e.Name == "run" && (string)e.Data["status"]! == "completed";
            runnerDone |= e.Name == "flow" && (string)e.Data["kind"]! == "runCompleted";
            return recordDone && runnerDone;
        });

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal([0L, 1L], before.Where(e => e.Name == "step").Select(e => (long)e.Data["index"]!));
        Assert.Equal(["price", "check", "ship"], after.Where(e => e.Name == "step").Select(e => (string)e.Data["node"]!));
        // The runner's own events come too, for a run executing in this process: a step that started, not only committed.
        Assert.Contains(after, e => e.Name == "flow" && (string)e.Data["kind"]! == "stepStarted" && (string)e.Data["node"]! == "check");
        await events.DisposeAsync();
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("rocksdb")]
    public async Task A_store_another_writer_changes_is_reopened_read_only_and_shows_the_change(string kind)
    {
        var path = _store.Directory.File(kind);
        IStateBackend Backend(bool readOnly) => kind == "sqlite"
            ? new Sqlite.SqliteStateBackend(new Sqlite.SqliteStateBackendOptions { Path = path, ReadOnly = readOnly })
            : new RocksDb.RocksDbStateBackend(new RocksDb.RocksDbStateBackendOptions { Path = path, ReadOnly = readOnly });
        await using var writer = await StateStore.OpenAsync(new StateStoreOptions { Backend = Backend(readOnly: false) });
        var opened = 0;
        await using var inspected = InspectedStore.Reopening(
            $"{kind} test store",
            async cancellationToken =>
            {
                Interlocked.Increment(ref opened);
                return await StateStore.OpenAsync(new StateStoreOptions { Backend = Backend(readOnly: true) }, cancellationToken: cancellationToken);
            },
            () => writer.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await writer.For(StateScope.Global).SetAsync("count", 1);
        await using var server = await InspectorServer.StartAsync(inspected);

        var first = await server.GetJsonAsync("key?key=count");
        var unchanged = await server.GetJsonAsync("key?key=count");
        await writer.For(StateScope.Global).SetAsync("count", 2);
        var second = await server.GetJsonAsync("key?key=count");
        using var edit = await server.Client.PutAsJsonAsync("key", new { key = "count", value = 3, expectedVersion = (long)second["version"]! });

        Assert.Equal((1, 2), ((int)first["value"]!, (int)second["value"]!));
        Assert.Equal((int)first["value"]!, (int)unchanged["value"]!);
        Assert.Equal(2, opened);
        Assert.Equal(HttpStatusCode.Forbidden, edit.StatusCode);
    }

    [Fact]
    public async Task Writes_without_a_token_are_refused_at_startup()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => InspectorServer.StartAsync(new InspectedStore(_store.Store), options =>
        {
            options.AccessToken = null;
            options.AllowWrites = true;
        }));

        Assert.Contains("AllowWrites needs an AccessToken", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_api()
    {
        await using var server = await StartAsync();

        var document = await server.GetJsonAsync("openapi/flowstate-inspector.json");

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/v1/runs", paths);
        Assert.Contains("/api/v1/runs/{runId}/steps/{index}", paths);
        Assert.Contains("/api/v1/key", paths);
    }

    [Fact]
    public async Task Embedded_in_an_app_it_shows_the_app_s_store_and_runs()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddFlowState(flowState => flowState.ConfigureRunner(runner =>
        {
            runner.RetainCompletedRuns = true;
            runner.History = new FlowHistoryOptions();
        }));
        builder.Services.AddFlowStateInspector(options => options.AccessToken = "app-token");
        await using var app = builder.Build();
        app.MapFlowStateInspector("/ops/state");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await app.Services.GetRequiredService<FlowRunner>().RunAsync(InspectorTestStore.Orders(), options: new FlowRunOptions { RunId = "order-1" });
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(address) };
        client.DefaultRequestHeaders.Add("X-FlowState-Token", "app-token");

        var run = JsonNode.Parse(await client.GetStringAsync("/ops/state/api/v1/runs/order-1"))!;
        using var bare = await client.GetAsync("/ops/state");
        using var page = await client.GetAsync("/ops/state/");

        Assert.Equal(5, run["history"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/ops/state/", bare.Headers.Location!.OriginalString);
        Assert.Contains("assets/app.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static Flow ApprovalFlow() => new FlowBuilder("approval").Add(Node.Create("approve", async (state, context) =>
    {
        var answer = context.GetResumeInput<JsonObject>();
        if (answer is null)
        {
            context.Interrupt("approve the order?");
        }

        await state.SetAsync("approved", answer!["approved"]!.GetValue<bool>());
        return null;
    })).Build();

    private static IEnumerable<string> Ids(JsonObject page) => page["items"]!.AsArray().Select(r => (string)r!["runId"]!);


    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static async Task AdvanceUntilAsync(IAsyncEnumerator<FlowEvent> events, Func<FlowEvent, bool> until)
    {
        while (await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60)))
        {
            if (until(events.Current))
            {
                return;
            }
        }

        Assert.Fail("the run ended before the awaited event");
    }

    private static async Task<List<(string Name, JsonObject Data)>> ReadEventsUntilAsync(StreamReader reader, Func<(string Name, JsonObject Data), bool> until)
    {
        var events = new List<(string Name, JsonObject Data)>();
        string? name = null;
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var item = (name!, JsonNode.Parse(line["data: ".Length..])!.AsObject());
                events.Add(item);
                if (until(item))
                {
                    return events;
                }
            }
        }

        Assert.Fail("the event stream ended");
        return events;
    }

    private Task<InspectorServer> StartAsync(Action<FlowStateInspectorOptions>? configure = null) =>
        InspectorServer.StartAsync(new InspectedStore(_store.Store, _store.Runner), configure);
}
