using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FlowState.Lua.Tests;

public sealed class LuaStateApiTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly StateStore _store;

    public LuaStateApiTests()
    {
        _store = new StateStore(new StateStoreOptions { TimeProvider = _time });
    }

    private LuaScriptHost Host => new(_store);

    private IStateStore Global => _store.For(StateScope.Global);

    [Fact]
    public async Task Set_then_get_round_trips_tables_integers_floats_and_strings()
    {
        var result = await Host.RunAsync("""
            State.set("config", { name = "John", retries = 3, ratio = 1.0, tags = { "a", "b" }, nested = { on = true } })
            local c = State.get("config")
            return c.name, c.retries, math.type(c.retries), c.ratio, math.type(c.ratio), #c.tags, c.nested.on
            """);

        Assert.Equal(["\"John\"", "3", "\"integer\"", "1.0", "\"float\"", "2", "true"], result.Values.Select(v => v.GetRawText()));
        var stored = await Global.GetEntryAsync("config");
        using var json = JsonDocument.Parse(stored!.Value);
        Assert.Equal(3, json.RootElement.GetProperty("retries").GetInt64());
        Assert.Equal("1.0", json.RootElement.GetProperty("ratio").GetRawText());
        Assert.Equal("""["a","b"]""", json.RootElement.GetProperty("tags").GetRawText());
    }

    [Fact]
    public async Task Get_of_a_missing_key_is_nil()
    {
        var result = await Host.RunAsync("""return State.get("nothing") == nil, State.exists("nothing")""");

        Assert.Equal(["true", "false"], result.Values.Select(v => v.GetRawText()));
    }

    [Fact]
    public async Task Values_written_by_dotnet_are_read_by_lua()
    {
        await Global.SetRawAsync("order", """{"id":7,"lines":[1.5,2.0],"note":null}"""u8.ToArray());

        var result = await Host.RunAsync("""
            local o = State.get("order")
            return o.id, math.type(o.id), o.lines[1], o.lines[2], math.type(o.lines[2]), o.note == nil
            """);

        Assert.Equal(["7", "\"integer\"", "1.5", "2.0", "\"float\"", "true"], result.Values.Select(v => v.GetRawText()));
    }

    [Fact]
    public async Task Delete_removes_the_key_and_says_whether_it_existed()
    {
        await Global.SetAsync("gone", 1);

        var result = await Host.RunAsync("""return State.delete("gone"), State.delete("gone"), State.get("gone")""");

        Assert.Equal(["true", "false", "null"], result.Values.Select(v => v.GetRawText()));
        Assert.False(await Global.ExistsAsync("gone"));
    }

    [Fact]
    public async Task Clear_own_keeps_every_workflow_and_clear_subtree_takes_them_in_one_transaction()
    {
        await Global.SetAsync("setting", 1);
        await _store.For(StateScope.Workflow("w1")).SetAsync("progress", 5);

        var own = await Host.RunAsync("""
            State.set("written-in-script", 2)
            return State.clear("own"), #State.list()
            """);
        var refused = await Assert.ThrowsAsync<ScriptException>(() => Host.RunAsync("""State.clear()"""));
        var subtree = await Host.RunAsync("""return State.clear("subtree")""");

        Assert.Equal(["2", "0"], own.Values.Select(v => v.GetRawText()));
        Assert.Contains("State.clear: say what to clear: \"own\"", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["1"], subtree.Values.Select(v => v.GetRawText()));
        Assert.Equal(0, await Global.CountAsync());
    }

    [Fact]
    public async Task List_returns_the_scope_keys_in_order_optionally_by_prefix()
    {
        await Global.SetAsync("cache:b", 1);
        await Global.SetAsync("cache:a", 1);
        await Global.SetAsync("other", 1);

        var result = await Host.RunAsync("""
            State.set("cache:c", 1)
            return State.list("cache:"), #State.list()
            """);

        Assert.Equal("""["cache:a","cache:b","cache:c"]""", result.Values[0].GetRawText());
        Assert.Equal("4", result.Values[1].GetRawText());
    }

    [Fact]
    public async Task Merge_applies_a_json_merge_patch_where_nil_members_are_left_out()
    {
        await Global.SetAsync("profile", new { name = "Ada", address = new { city = "London", zip = "N1" } });

        await Host.RunAsync("""State.merge("profile", { address = { city = "Paris" }, title = "Countess" })""");

        var profile = await Global.GetAsync<JsonElement>("profile");
        Assert.Equal("Paris", profile.GetProperty("address").GetProperty("city").GetString());
        Assert.Equal("N1", profile.GetProperty("address").GetProperty("zip").GetString());
        Assert.Equal("Countess", profile.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Update_runs_the_function_on_the_current_value_and_returns_the_new_one()
    {
        var result = await Host.RunAsync("""
            local first = State.update("counter", function(n) return (n or 0) + 1 end)
            local second = State.update("counter", function(n) return n + 10 end)
            return first, second
            """);

        Assert.Equal(["1", "11"], result.Values.Select(v => v.GetRawText()));
        Assert.Equal(11, await Global.GetAsync<int>("counter"));
    }

    [Fact]
    public async Task Update_function_returning_nil_is_an_error_and_writes_nothing()
    {
        await Global.SetAsync("counter", 5);

        var error = await Assert.ThrowsAsync<ScriptException>(() => Host.RunAsync("""State.update("counter", function(n) return nil end)"""));

        Assert.Contains("returned nil", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, await Global.GetAsync<int>("counter"));
    }

    [Fact]
    public async Task Set_with_a_ttl_expires_the_key()
    {
        await Host.RunAsync("""State.set("session", "abc", { ttl = 60 })""");

        Assert.True(await Global.ExistsAsync("session"));
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.False(await Global.ExistsAsync("session"));
    }

    [Fact]
    public async Task Ttl_gives_an_existing_key_an_expiry_and_says_false_for_a_missing_one()
    {
        await Global.SetAsync("token", "t");

        var result = await Host.RunAsync("""return State.ttl("token", 30), State.ttl("missing", 30)""");

        Assert.Equal(["true", "false"], result.Values.Select(v => v.GetRawText()));
        Assert.Equal("t", await Global.GetAsync<string>("token"));
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.False(await Global.ExistsAsync("token"));
        Assert.False(await Global.ExistsAsync("missing"));
    }

    [Theory]
    [InlineData("""State.set("k", 1, { ttl = -1 })""", "ttl must be a positive number")]
    [InlineData("""State.set("k", 1, "soon")""", "options must be a table")]
    [InlineData("""State.ttl("k", 0)""", "seconds must be a positive number")]
    [InlineData("""State.set(42, 1)""", "the key must be a string, not a number")]
    [InlineData("""State.set("", 1)""", "State.set")]
    [InlineData("""State.set("k", nil)""", "use State.delete")]
    [InlineData("""State.merge("k", 3)""", "the patch must be a table")]
    [InlineData("""State.update("k", 3)""", "must be a function")]
    [InlineData("""State.list(5)""", "the prefix must be a string")]
    [InlineData("""State.get = nil""", "State is read-only")]
    public async Task Bad_arguments_raise_a_clear_lua_error_at_the_scripts_line_and_write_nothing(string line, string expected)
    {
        await Global.SetAsync("k", "before");

        var error = await Assert.ThrowsAsync<ScriptException>(() => Host.RunAsync("State.set(\"other\", 1)\n" + line));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("script:2:", error.LuaError, StringComparison.Ordinal);
        Assert.Equal(ScriptBudget.None, error.Budget);
        Assert.Equal("before", await Global.GetAsync<string>("k"));
        Assert.False(await Global.ExistsAsync("other"));
    }

    [Fact]
    public async Task A_write_over_a_limit_fails_the_commit_and_writes_nothing()
    {
        var limited = new StateStore(new StateStoreOptions { ScopeLimits = { [StateScope.Global] = new StateLimits { MaxValueBytes = 64 } } });

        await Assert.ThrowsAsync<StateLimitExceededException>(() => new LuaScriptHost(limited).RunAsync("""
            State.set("small", 1)
            State.set("big", string.rep("x", 1000))
            """));

        Assert.Equal(0, await limited.For(StateScope.Global).CountAsync());
    }

    [Fact]
    public async Task A_refused_state_operation_is_the_cause_of_the_script_error()
    {
        var limited = new StateStore(new StateStoreOptions { ScopeLimits = { [StateScope.Global] = new StateLimits { MaxValueBytes = 64 } } });

        var error = await Assert.ThrowsAsync<ScriptException>(() => new LuaScriptHost(limited).RunAsync("""
            State.set("big", string.rep("x", 1000))
            State.commit()
            """));

        Assert.IsType<StateLimitExceededException>(error.InnerException);
        Assert.Contains("script:2:", error.LuaError, StringComparison.Ordinal);
        Assert.False(await limited.For(StateScope.Global).ExistsAsync("big"));
    }

    [Fact]
    public async Task Print_output_is_collected_per_run()
    {
        var result = await Host.RunAsync("""print("hello", 1, nil, true) print({} ~= nil)""");

        Assert.Equal("hello\t1\tnil\ttrue\ntrue\n", result.Output);
    }

    [Fact]
    public async Task Args_reach_the_script_as_lua_values()
    {
        using var args = JsonDocument.Parse("""{"user":"ada","ids":[1,2,3]}""");

        var result = await Host.RunAsync("return args.user, #args.ids", new LuaScriptContext { Arguments = args.RootElement });

        Assert.Equal(["\"ada\"", "3"], result.Values.Select(v => v.GetRawText()));
    }

    [Fact]
    public async Task Syntax_errors_are_reported_with_the_line()
    {
        var error = await Assert.ThrowsAsync<ScriptException>(() => Host.RunAsync("local x = \n x = = 1", new LuaScriptContext { ChunkName = "broken.lua" }));

        Assert.Contains("does not compile", error.Message, StringComparison.Ordinal);
        Assert.Contains("broken.lua:2:", error.LuaError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_file_names_the_script_by_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"flowstate-lua-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(path, "State.set('from_file', true)\nerror('stop here')");
        try
        {
            var error = await Assert.ThrowsAsync<ScriptException>(() => Host.RunFileAsync(path));

            Assert.Contains($"{path}:2: stop here", error.LuaError, StringComparison.Ordinal);
            Assert.False(await Global.ExistsAsync("from_file"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
