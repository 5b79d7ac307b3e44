using FlowState.Lua;
using Xunit;

namespace FlowState.Conformance;

/// <summary>Lua scripts on a shared store: each script one transaction on the server, retried on conflicts.</summary>
public abstract partial class SharedStateStoreWorkerConformanceTests
{
    [Fact]
    public async Task Lua_scripts_of_two_processes_update_one_shared_counter_without_losing_an_update()
    {
        const int ScriptsPerProcess = 25;
        var stores = new[] { await OpenAsync(), await OpenAsync() };
        var context = new LuaScriptContext { WorkflowId = "lua-counter" };
        const string Script = """
            local n = workflow.state.update("n", function(n) return (n or 0) + 1 end)
            workflow.state.set("last", { n = n, by = args.by })
            return n
            """;

        var attempts = await Task.WhenAll(stores.Select((store, i) => Task.Run(async () =>
        {
            // Two processes in tight loops on one key conflict often: enough retries that each script gets through.
            var host = new LuaScriptHost(store, new LuaScriptOptions { MaxConflictRetries = 1000 });
            var total = 0;
            for (var s = 0; s < ScriptsPerProcess; s++)
            {
                var result = await host.RunAsync(Script, context with { Arguments = System.Text.Json.JsonSerializer.SerializeToElement(new { by = i }) });
                total += result.Attempts;
            }

            return total;
        })));

        var run = stores[0].For(StateScope.Workflow("lua-counter"));
        Assert.Equal(2 * ScriptsPerProcess, await run.GetAsync<int>("n"));
        Assert.True(attempts.Sum() >= 2 * ScriptsPerProcess, $"{attempts.Sum()} attempts");
        Assert.Equal(await run.GetAsync<int>("n"), (await run.GetAsync<System.Text.Json.JsonElement>("last")).GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task A_Lua_script_that_fails_on_a_shared_store_writes_nothing()
    {
        var store = await OpenAsync();
        await store.SetAsync("kept", 1);
        var host = new LuaScriptHost(store);

        var error = await Assert.ThrowsAsync<ScriptException>(() => host.RunAsync("""
            State.set("kept", 2)
            State.set("new", 1)
            State.clear("own")
            error("stop here")
            """));

        Assert.Contains("stop here", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await store.GetAsync<int>("kept"));
        Assert.False(await store.ExistsAsync("new"));
    }

    [Fact]
    public async Task Lua_clears_a_shared_scope_s_own_keys_in_its_transaction()
    {
        var store = await OpenAsync();
        var run = store.For(StateScope.Workflow("lua-clear"));
        await run.SetAsync("a", 1);
        await run.Scope("step").SetAsync("b", 2);

        var result = await new LuaScriptHost(store).RunAsync("""return workflow.state.clear("own")""", new LuaScriptContext { WorkflowId = "lua-clear" });

        Assert.Equal("1", result.Values.Single().GetRawText());
        Assert.False(await run.ExistsAsync("a"));
        Assert.Equal(2, await run.Scope("step").GetAsync<int>("b"));
    }

    [Fact]
    public async Task A_watching_Lua_script_is_called_for_changes_another_process_commits()
    {
        var watching = await OpenAsync();
        var writing = await OpenAsync();
        using var stop = new CancellationTokenSource();
        var seen = ConformanceTestBase.TakeAsync(watching.For(StateScope.Workflow("lua-seen")).WatchAsync("last"), 1);
        var handler = new LuaScriptHost(watching).WatchAsync(
            """
            function on_change(change)
              workflow.state.set("last", { key = change.key, value = change.value })
            end
            """,
            new LuaScriptContext { Scope = StateScope.Workflow("lua-watched"), WorkflowId = "lua-seen" },
            cancellationToken: stop.Token);

        await writing.For(StateScope.Workflow("lua-watched")).SetAsync("status", "paid");
        await seen.WaitAsync(TimeSpan.FromMinutes(1));
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handler.WaitAsync(TimeSpan.FromMinutes(1)));
        var last = await watching.For(StateScope.Workflow("lua-seen")).GetAsync<System.Text.Json.JsonElement>("last");
        Assert.Equal(("status", "paid"), (last.GetProperty("key").GetString(), last.GetProperty("value").GetString()));
    }

    [Fact]
    public void A_Lua_host_refuses_a_store_it_cannot_open_transactions_on()
    {
        var error = Assert.Throws<ArgumentException>(() => new LuaScriptHost(new LoggingStateStore(new StateStore(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)));

        Assert.Contains("run on a StateStore or a SharedStateStore", error.Message, StringComparison.Ordinal);
    }
}
