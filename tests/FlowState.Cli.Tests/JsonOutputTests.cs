using System.Text.Json;

namespace FlowState.Cli.Tests;

/// <summary>
/// <c>--json</c>: every command that lists or shows writes one JSON document, in the shapes docs/cli.md gives, and
/// nothing else on standard output; captured text output is plain (no rules, no padding to a fixed width).
/// </summary>
public sealed class JsonOutputTests : CliTestBase
{
    private static readonly string WordCount = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples", "flows", "word-count.yaml");

    private static JsonElement Parse(string output)
    {
        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Runs_list_show_and_history_write_one_json_document_each()
    {
        Assert.Equal(0, (await RunAsync("run", WordCount)).Code);
        Assert.Equal(0, (await RunAsync("run", WordCount, "--new")).Code);

        var list = await RunAsync("runs", "list", "--json", "--limit", "1");
        var show = await RunAsync("runs", "show", "word-count_1", "--json");
        var history = await RunAsync("runs", "history", "word-count_1", "--json");

        var page = Parse(list.Out);
        Assert.Equal(2, page.GetProperty("total").GetInt32());
        Assert.Equal(2, page.GetProperty("statusCounts").GetProperty("completed").GetInt32());
        var newest = Assert.Single(page.GetProperty("runs").EnumerateArray());
        Assert.Equal(("word-count_2", "word-count", "completed", 4), (newest.GetProperty("runId").GetString(), newest.GetProperty("flowName").GetString(), newest.GetProperty("status").GetString(), newest.GetProperty("steps").GetInt32()));
        Assert.True(newest.GetProperty("startedAt").TryGetDateTimeOffset(out _));

        var run = Parse(show.Out);
        Assert.Equal("word-count_1", run.GetProperty("run").GetProperty("runId").GetString());
        Assert.Equal(JsonValueKind.Array, run.GetProperty("state").GetProperty("ranking").ValueKind);

        var checkpoints = Parse(history.Out).GetProperty("checkpoints").EnumerateArray().ToList();
        Assert.Equal(5, checkpoints.Count);
        Assert.Equal(("read", "default"), (checkpoints[1].GetProperty("nodeName").GetString(), checkpoints[1].GetProperty("action").GetString()));
        Assert.Contains(checkpoints[1].GetProperty("changes").EnumerateArray(), c => c.GetProperty("key").GetString() == "texts");
        Assert.All([list, show, history], r => Assert.Equal((0, string.Empty), (r.Code, r.Error)));
    }

    [Fact]
    public async Task State_list_and_get_give_every_key_with_scope_version_size_expiry_and_value()
    {
        await RunAsync("state", "set", "plan", """{"name":"pro"}""", "--scope", "custom:tenant-a:", "--ttl", "3600");
        await RunAsync("state", "set", "hits", "3");

        var list = await RunAsync("state", "list", "--json");
        var get = await RunAsync("state", "get", "plan", "--scope", "custom:tenant-a:", "--json");
        var plain = await RunAsync("state", "get", "plan", "--scope", "custom:tenant-a:");

        var keys = Parse(list.Out);
        Assert.Equal(2, keys.GetProperty("count").GetInt32());
        var plan = Assert.Single(keys.GetProperty("keys").EnumerateArray(), k => k.GetProperty("key").GetString() == "plan");
        Assert.Equal("custom:tenant-a:", plan.GetProperty("scope").GetString());
        Assert.Equal("pro", plan.GetProperty("value").GetProperty("name").GetString());
        Assert.True(plan.GetProperty("expiresAt").TryGetDateTimeOffset(out var expires) && expires > DateTimeOffset.UtcNow.AddMinutes(50));
        var hits = Assert.Single(keys.GetProperty("keys").EnumerateArray(), k => k.GetProperty("key").GetString() == "hits");
        Assert.Equal((JsonValueKind.Null, 3, 5), (hits.GetProperty("expiresAt").ValueKind, hits.GetProperty("value").GetInt32(), hits.GetProperty("bytes").GetInt32()));

        var entry = Parse(get.Out);
        Assert.Equal(("plan", 1L), (entry.GetProperty("key").GetString(), entry.GetProperty("version").GetInt64()));
        Assert.Equal("pro", Parse(plain.Out).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Stats_migrate_lua_and_prune_write_json_too()
    {
        Assert.Equal(0, (await RunAsync("run", WordCount)).Code);
        var script = Directory.File("count.lua");
        File.WriteAllText(script, """print("counting") return State.update("n", function(n) return (n or 0) + 1 end)""");

        var stats = Parse((await RunAsync("stats", "--json")).Out);
        var migrate = Parse((await RunAsync("migrate", "--json")).Out);
        var lua = Parse((await RunAsync("lua", "run", script, "--json")).Out);
        var pruned = Parse((await RunAsync("runs", "prune", "--yes", "--json")).Out);

        Assert.Contains(stats.GetProperty("scopes").EnumerateArray(), s => s.GetProperty("scope").GetString() == "workflow:*" && s.GetProperty("entries").GetInt32() > 0);
        Assert.True(stats.GetProperty("total").GetProperty("bytes").GetInt64() > 0);
        Assert.Equal(0, migrate.GetProperty("migrationVersion").GetInt32());
        Assert.Equal(("counting\n", 1), (lua.GetProperty("output").GetString(), Assert.Single(lua.GetProperty("values").EnumerateArray()).GetInt32()));
        Assert.Equal("word-count_1", Assert.Single(pruned.GetProperty("deleted").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Captured_tables_are_plain_text_without_rules_or_trailing_padding()
    {
        await RunAsync("state", "set", "a-rather-long-key-name", "1");
        await RunAsync("state", "set", "b", "\"two\"");

        var list = await RunAsync("state", "list");

        var lines = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("scope     key                     version  bytes  value", lines[0]);
        Assert.Equal("(global)  a-rather-long-key-name  1        23     1", lines[1]);
        Assert.Equal("(global)  b                       2        6      \"two\"", lines[2]);
        Assert.All(lines, l => Assert.Equal(l.TrimEnd(), l));
        Assert.DoesNotContain(list.Out, c => c is '─' or '│' or '┌' or '╭');
    }
}
