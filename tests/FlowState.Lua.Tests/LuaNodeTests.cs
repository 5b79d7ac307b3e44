using FlowState.Flows;
using FlowState.Lua.Flows;
using Xunit;

namespace FlowState.Lua.Tests;

/// <summary>Flow nodes whose prep, exec and post are Lua functions, run by the flow runtime.</summary>
public sealed class LuaNodeTests
{
    private readonly StateStore _store = new();

    private FlowRunner Runner => new(_store, new FlowRunnerOptions { RetainCompletedRuns = true });

    private static Flow FlowOf(params FlowNode[] nodes) => new FlowBuilder("lua-flow").Sequence(nodes).Build();

    [Fact]
    public async Task Prep_exec_and_post_pass_values_and_post_writes_the_run_state()
    {
        var node = new LuaNode("double", """
            function prep() return { n = workflow.state.get("n"), who = workflow.id .. "/" .. step.name } end
            function exec(p) return { doubled = p.n * 2, who = p.who } end
            function post(p, e)
              workflow.state.set("doubled", e.doubled)
              workflow.state.set("seen_by", e.who)
              step.state.set("ran", true)
              State.set("last_doubled", e.doubled)
            end
            """);

        var result = await Runner.RunAsync(FlowOf(node), new { n = 21 }, new FlowRunOptions { RunId = "r1" });

        Assert.Equal(42, result.State["doubled"]!.GetValue<int>());
        Assert.Equal("r1/double", result.State["seen_by"]!.GetValue<string>());
        Assert.True(await _store.For(StateScope.Step("r1", "double")).GetAsync<bool>("ran"));
        Assert.Equal(42, await _store.For(StateScope.Global).GetAsync<int>("last_doubled"));
    }

    [Fact]
    public async Task Post_returns_the_action_that_picks_the_next_node()
    {
        var loop = new LuaNode("loop", """
            function prep() return workflow.state.get("i") or 0 end
            function post(i)
              workflow.state.set("i", i + 1)
              if i + 1 < 5 then return "again" end
              return "done"
            end
            """);
        var finish = new LuaNode("finish", """function post() workflow.state.set("finished", true) end""");
        var flow = new FlowBuilder("looping").Add(loop).Add(finish).StartWith(loop).Connect(loop, loop, "again").Connect(loop, finish, "done").Build();

        var result = await Runner.RunAsync(flow);

        Assert.Equal(5, result.State["i"]!.GetValue<int>());
        Assert.True(result.State["finished"]!.GetValue<bool>());
        Assert.Equal(6, result.Steps);
    }

    [Fact]
    public async Task A_script_without_phase_functions_does_nothing_and_goes_on()
    {
        var empty = new LuaNode("empty", "-- nothing here");
        var after = new LuaNode("after", """function post() workflow.state.set("reached", true) end""");

        var result = await Runner.RunAsync(FlowOf(empty, after));

        Assert.True(result.State["reached"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("""function prep() workflow.state.set("x", 1) end""", "workflow.state is read-only here: prep reads state; write it in post")]
    [InlineData("""function prep() State.set("x", 1) end""", "State is read-only here")]
    [InlineData("""function exec() return State.get("x") end""", "global 'State'")]
    [InlineData("""function exec() return workflow.state.get("x") end""", "field 'state'")]
    [InlineData("""function post() State.commit() end""", "State.commit() is not available here")]
    [InlineData("""function post() return 42 end""", "post must return the next action as a string")]
    [InlineData("""function post() workflow.state.set("x", 1) error("post failed") end""", "post failed")]
    public async Task Misuse_in_a_phase_fails_the_step_with_a_script_error_and_writes_nothing(string script, string expected)
    {
        var before = new LuaNode("before", """function post() workflow.state.set("kept", true) end""");
        var bad = new LuaNode("bad", script);

        var error = await Assert.ThrowsAsync<FlowStepException>(() => Runner.RunAsync(FlowOf(before, bad), null, new FlowRunOptions { RunId = "r2" }));

        var scriptError = Assert.IsType<ScriptException>(error.InnerException);
        Assert.Contains(expected, scriptError.Message, StringComparison.Ordinal);
        var run = _store.For(StateScope.Workflow("r2"));
        Assert.True(await run.GetAsync<bool>("kept"));
        Assert.False(await run.ExistsAsync("x"));
        Assert.False(await _store.For(StateScope.Global).ExistsAsync("x"));
    }

    [Fact]
    public async Task A_failing_exec_is_retried_and_then_fails_the_step()
    {
        using var output = new StringWriter();
        var flaky = new LuaNode("flaky", """
            function prep() print("prep") return 1 end
            function exec(p) print("exec " .. p) error("transient failure") end
            """) { MaxRetries = 2, Output = output };

        var failed = await Assert.ThrowsAsync<FlowStepException>(() => Runner.RunAsync(FlowOf(flaky)));

        Assert.Contains("transient failure", failed.InnerException!.Message, StringComparison.Ordinal);
        Assert.Equal("prep\nexec 1\nexec 1\nexec 1\n", output.ToString());
    }

    [Fact]
    public async Task A_phase_over_its_budget_fails_the_step_with_the_budget()
    {
        var spin = new LuaNode("spin", "function exec() while true do end end", options: new LuaScriptOptions { MaxInstructions = 100_000 });

        var error = await Assert.ThrowsAsync<FlowStepException>(() => Runner.RunAsync(FlowOf(spin)));

        Assert.Equal(ScriptBudget.Instructions, Assert.IsType<ScriptException>(error.InnerException).Budget);
    }

    [Fact]
    public void A_script_that_does_not_compile_is_refused_when_the_node_is_made()
    {
        var error = Assert.Throws<ScriptException>(() => new LuaNode("broken", "function prep( return end", "broken.lua"));

        Assert.Contains("broken.lua:1:", error.LuaError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batch_flow_parameters_are_the_scripts_args()
    {
        var record = new LuaNode("record", """
            function post() workflow.state.update("seen", function(s) s = s or {} s[#s + 1] = args.item return s end) end
            """);
        var inner = FlowOf(record);
        var batch = new BatchFlow("each-item", inner, static (_, _) => ValueTask.FromResult<IEnumerable<object>>([new { item = "a" }, new { item = "b" }]));

        var result = await Runner.RunAsync(new FlowBuilder("outer").Sequence(batch).Build());

        Assert.Equal("""["a","b"]""", result.State["seen"]!.ToJsonString());
    }

    [Fact]
    public async Task Print_output_goes_to_the_nodes_writer()
    {
        using var output = new StringWriter();
        var talker = new LuaNode("talker", """
            function prep() print("prep") end
            function exec() print("exec") end
            function post() print("post") end
            """) { Output = output };

        await Runner.RunAsync(FlowOf(talker));

        Assert.Equal("prep\nexec\npost\n", output.ToString());
    }
}
