using Xunit;

namespace FlowState.Lua.Tests;

/// <summary><c>State</c>, <c>workflow.state</c> and <c>step.state</c> are the scopes the host gives, and nothing else.</summary>
public sealed class LuaScopeTests
{
    private readonly StateStore _store = new();

    private LuaScriptHost Host => new(_store);

    private static LuaScriptContext InStep(string workflowId, string step) => new() { WorkflowId = workflowId, StepName = step };

    [Fact]
    public async Task Workflow_and_step_state_write_to_the_runs_scopes()
    {
        var result = await Host.RunAsync("""
            State.set("g", 1)
            workflow.state.set("w", 2)
            step.state.set("s", 3)
            return workflow.id, step.name, workflow.state.get("g"), step.state.get("w")
            """, InStep("run-1", "fetch"));

        Assert.Equal(["\"run-1\"", "\"fetch\"", "null", "null"], result.Values.Select(v => v.GetRawText()));
        Assert.Equal(1, await _store.For(StateScope.Global).GetAsync<int>("g"));
        Assert.Equal(2, await _store.For(StateScope.Workflow("run-1")).GetAsync<int>("w"));
        Assert.Equal(3, await _store.For(StateScope.Step("run-1", "fetch")).GetAsync<int>("s"));
        Assert.False(await _store.For(StateScope.Global).ExistsAsync("w"));
    }

    [Fact]
    public async Task Without_a_workflow_the_script_has_no_workflow_or_step_globals()
    {
        var result = await Host.RunAsync("return workflow == nil, step == nil");

        Assert.Equal(["true", "true"], result.Values.Select(v => v.GetRawText()));
    }

    [Fact]
    public async Task The_host_can_narrow_State_to_a_scope()
    {
        await Host.RunAsync("""State.set("k", "mine")""", new LuaScriptContext { Scope = StateScope.Custom("tenant-a") });

        Assert.Equal("mine", await _store.For(StateScope.Custom("tenant-a")).GetAsync<string>("k"));
        Assert.False(await _store.For(StateScope.Global).ExistsAsync("k"));
    }

    [Theory]
    [InlineData("workflow:run-2:secret")]
    [InlineData("../run-2/secret")]
    [InlineData("workflow:run-2:step:fetch:secret")]
    public async Task Keys_that_look_like_another_workflows_stay_inside_the_scripts_own_scope(string key)
    {
        var other = _store.For(StateScope.Workflow("run-2"));
        await other.SetAsync("secret", "theirs");

        var result = await Host.RunAsync($$"""
            local before = workflow.state.get("{{key}}")
            workflow.state.set("{{key}}", "overwritten")
            workflow.state.delete("secret")
            return before, #workflow.state.list("secret"), #workflow.state.list("workflow:run-2")
            """, InStep("run-1", "fetch"));

        Assert.Equal("null", result.Values[0].GetRawText());
        Assert.Equal("theirs", await other.GetAsync<string>("secret"));
        Assert.Equal(1, await other.CountAsync());
        Assert.Equal("overwritten", await _store.For(StateScope.Workflow("run-1")).GetAsync<string>(key));
    }

    [Fact]
    public async Task Another_workflows_scope_cannot_be_named_through_the_api()
    {
        await _store.For(StateScope.Workflow("run-2")).SetAsync("secret", "theirs");

        var result = await Host.RunAsync("""
            local reached = {}
            for _, name in ipairs({ "scope", "for_scope", "workflow", "binding", "id" }) do
              if rawget(workflow.state, name) ~= nil or workflow.state[name] ~= nil then reached[#reached + 1] = name end
            end
            return #reached, getmetatable(workflow.state)
            """, InStep("run-1", "fetch"));

        Assert.Equal(["0", "false"], result.Values.Select(v => v.GetRawText()));
    }

    [Fact]
    public async Task A_step_name_without_a_workflow_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Host.RunAsync("return 1", new LuaScriptContext { StepName = "orphan" }));
    }
}
