using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FlowState.Lua.Tests;

public sealed class LuaDependencyInjectionTests
{
    [Fact]
    public async Task AddLuaScripting_registers_one_host_on_the_registered_store_with_the_configured_budgets()
    {
        await using var provider = new ServiceCollection()
            .AddFlowState(f => f.AddLuaScripting(o => o.MaxInstructions = 50_000))
            .BuildServiceProvider();

        var host = provider.GetRequiredService<LuaScriptHost>();
        await host.RunAsync("State.set('from_di', true)");
        var spin = await Assert.ThrowsAsync<ScriptException>(() => host.RunAsync("while true do end"));

        Assert.Same(host, provider.GetRequiredService<LuaScriptHost>());
        Assert.Equal(50_000, host.Options.MaxInstructions);
        Assert.Equal(ScriptBudget.Instructions, spin.Budget);
        Assert.True(await provider.GetRequiredService<IStateStore>().GetAsync<bool>("from_di"));
    }

    [Fact]
    public async Task A_bad_budget_in_the_options_is_refused_when_the_host_is_resolved()
    {
        await using var provider = new ServiceCollection()
            .AddFlowState(f => f.AddLuaScripting(o => o.Timeout = TimeSpan.Zero))
            .BuildServiceProvider();

        Assert.Throws<ArgumentOutOfRangeException>(() => provider.GetRequiredService<LuaScriptHost>());
    }

    [Fact]
    public async Task AddLuaScripting_on_a_keyed_store_registers_a_keyed_host_writing_to_that_store()
    {
        await using var provider = new ServiceCollection()
            .AddFlowState()
            .AddKeyedFlowState("orders", f => f.AddLuaScripting(o => o.MaxInstructions = 40_000))
            .BuildServiceProvider();

        var host = provider.GetRequiredKeyedService<LuaScriptHost>("orders");
        await host.RunAsync("State.set('scripted', 1)");

        Assert.Equal(40_000, host.Options.MaxInstructions);
        Assert.Null(provider.GetService<LuaScriptHost>());
        Assert.Equal(1, await provider.GetRequiredKeyedService<IStateStore>("orders").GetAsync<int>("scripted"));
        Assert.False(await provider.GetRequiredService<IStateStore>().ExistsAsync("scripted"));
    }
}
