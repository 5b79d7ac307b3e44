using FlowState.Conformance;

namespace FlowState.Cli.Tests;

/// <summary><c>flowstate run</c> of a YAML flow of Lua steps, and <c>flowstate lua run</c>.</summary>
public sealed class LuaCommandTests : CliTestBase
{
    private static string Examples => Path.Combine(TestServerScripts.RepositoryRoot, "examples", "lua");

    [Fact]
    public async Task Run_of_the_text_stats_flow_runs_its_lua_steps_and_prints_the_result()
    {
        var (code, output, error) = await RunAsync("run", Path.Combine(Examples, "flows", "text-stats.yaml"));

        Assert.Equal(string.Empty, error);
        Assert.Equal(0, code);
        Assert.Contains("split into 8 chunks of up to 12 words", output, StringComparison.Ordinal);
        Assert.Contains("86 words, 47 distinct; top: the=9, state=7, a=6, run=4, step=4", output, StringComparison.Ordinal);
        Assert.Contains("completed: 10 step(s)", output, StringComparison.Ordinal);
        Assert.Matches(@"distinct_words\s+47", output);

        var global = await RunAsync("state", "get", "chunks_counted_by_all_runs");
        Assert.Equal("8", global.Out.Trim());
    }

    [Fact]
    public async Task A_lua_flow_stopped_by_a_failing_step_resumes_from_its_last_committed_step()
    {
        var flow = Directory.File("flaky.yaml");
        await File.WriteAllTextAsync(Directory.File("count.lua"), """
            function prep() return workflow.state.get("i") or 0 end
            function post(i)
              workflow.state.set("i", i + 1)
              if i + 1 < 4 then return "more" end
            end
            """);
        await File.WriteAllTextAsync(Directory.File("gate.lua"), """
            function prep() return State.get("open") end
            function exec(open) if not open then error("the gate is closed") end end
            function post() workflow.state.set("passed", true) end
            """);
        await File.WriteAllTextAsync(flow, """
            name: gated
            run_id: gated-1
            steps:
              count: { script: count.lua, next: { more: count, default: gate } }
              gate: gate.lua
            """);

        var first = await RunAsync("run", flow);
        await RunAsync("state", "set", "open", "true");
        var second = await RunAsync("run", flow);

        Assert.Equal(1, first.Code);
        Assert.Contains("the gate is closed", first.Error, StringComparison.Ordinal);
        Assert.Equal(0, second.Code);
        Assert.Contains("resuming flow gated after step 4", second.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("done   count", second.Out, StringComparison.Ordinal);
        Assert.Matches(@"passed\s+true", second.Out);
    }

    [Theory]
    [InlineData("name: x\nsteps:\n  a: { script: a.lua, bogus: 1 }\n", "line 3: unknown key 'bogus' in 'flow.steps.a'")]
    [InlineData("name: x\nsteps:\n  a: missing.lua\n", "step 'a' runs missing.lua, which does not exist")]
    [InlineData("name: x\nsteps:\n  a: { script: a.lua, next: nowhere }\n", "step 'a' goes to 'nowhere' on 'default', but there is no step 'nowhere'")]
    [InlineData("name: x\nsteps: []\n", "'steps' must map each step's name to its script")]
    [InlineData("steps:\n  a: a.lua\n", "'flow' needs 'name'")]
    [InlineData("name: x\nstart: b\nsteps:\n  a: a.lua\n", "there is no step 'b' to start with")]
    [InlineData("name: x\nbudgets: { timeout_seconds: 0 }\nsteps:\n  a: a.lua\n", "'flow.budgets.timeout_seconds' is '0'")]
    [InlineData("name: x\nsteps:\n  a: broken.lua\n", "does not compile")]
    public async Task A_bad_lua_flow_file_fails_with_one_line_that_says_where(string yaml, string expected)
    {
        await File.WriteAllTextAsync(Directory.File("a.lua"), "function post() end");
        await File.WriteAllTextAsync(Directory.File("broken.lua"), "function post( end");
        var flow = Directory.File("flow.yaml");
        await File.WriteAllTextAsync(flow, yaml);

        var (code, _, error) = await RunAsync("run", flow);

        Assert.Equal(1, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Lua_run_runs_a_script_against_the_store_and_prints_what_it_returned()
    {
        var first = await RunAsync("lua", "run", Path.Combine(Examples, "counter.lua"));
        var second = await RunAsync("lua", "run", Path.Combine(Examples, "counter.lua"));
        var cached = await RunAsync("lua", "run", Path.Combine(Examples, "cache.lua"), "--args", """{"n": 10}""");

        Assert.Equal(0, first.Code);
        Assert.Contains("run number 1\n=> 1\ncommitted at version", first.Out, StringComparison.Ordinal);
        Assert.Contains("run number 2", second.Out, StringComparison.Ordinal);
        Assert.Contains("=> 385\n=> false", cached.Out, StringComparison.Ordinal);
        Assert.Equal("2", (await RunAsync("state", "get", "runs")).Out.Trim());
    }

    [Fact]
    public async Task Lua_run_scopes_state_and_reports_script_errors_and_bad_arguments()
    {
        var script = Directory.File("scoped.lua");
        await File.WriteAllTextAsync(script, "State.set('k', args.v) workflow.state.set('w', 1)");
        var failing = Directory.File("failing.lua");
        await File.WriteAllTextAsync(failing, "State.set('lost', 1)\nerror('boom')");

        var scoped = await RunAsync("lua", "run", script, "--scope", "custom:tenant", "--workflow", "run-9", "--args", """{"v": "x"}""");
        var failed = await RunAsync("lua", "run", failing);
        var badArgs = await RunAsync("lua", "run", script, "--args", "{nope");
        var spin = Directory.File("spin.lua");
        await File.WriteAllTextAsync(spin, "while true do end");
        var timedOut = await RunAsync("lua", "run", spin, "--timeout", "0.2");

        Assert.Equal(0, scoped.Code);
        Assert.Equal("\"x\"", (await RunAsync("state", "get", "k", "--scope", "custom:tenant")).Out.Trim());
        Assert.Equal("1", (await RunAsync("state", "get", "w", "--scope", "workflow:run-9")).Out.Trim());
        Assert.Equal(1, failed.Code);
        Assert.Contains("failing.lua:2: boom", failed.Error, StringComparison.Ordinal);
        Assert.Equal(1, (await RunAsync("state", "get", "lost")).Code);
        Assert.Equal(2, badArgs.Code);
        Assert.Contains("--args is not JSON", badArgs.Error, StringComparison.Ordinal);
        Assert.Equal(1, timedOut.Code);
        Assert.Contains("budget exceeded", timedOut.Error, StringComparison.Ordinal);
    }
}
