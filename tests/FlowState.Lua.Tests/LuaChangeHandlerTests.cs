using System.Text.Json;
using Xunit;

namespace FlowState.Lua.Tests;

public sealed class LuaChangeHandlerTests
{
    private static readonly LuaScriptContext Orders = new() { Scope = StateScope.Custom("orders"), ChunkName = "audit.lua" };

    // The audit goes to the workflow's scope, which the handler does not watch (State is custom:orders:).
    private const string AuditScript = """
        function on_change(change)
          local log = workflow.state
          local n = log.update("count", function(n) return (n or 0) + 1 end)
          log.set("entry:" .. n, {
            key = change.key, kind = change.kind, value = change.value,
            previous_version = change.previous_version, previous_value = change.previous_value,
          })
        end
        """;

    [Fact]
    public async Task A_watching_script_is_called_for_every_change_with_the_old_and_new_value()
    {
        await using var store = new StateStore();
        var host = new LuaScriptHost(store);
        using var stop = new CancellationTokenSource();
        var audit = store.For(StateScope.Workflow("audit"));
        var audited = WaitForAsync(audit, "entry:3");
        var watching = host.WatchAsync(AuditScript, Orders with { WorkflowId = "audit" }, cancellationToken: stop.Token);

        var orders = store.For(StateScope.Custom("orders"));
        var created = await orders.SetAsync("o-1", new { total = 10 });
        await orders.SetAsync("o-1", new { total = 12 });
        await orders.DeleteAsync("o-1");
        await audited.WaitAsync(TimeSpan.FromMinutes(1));
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watching.WaitAsync(TimeSpan.FromMinutes(1)));
        var entries = new List<JsonElement>();
        for (var i = 1; i <= 3; i++)
        {
            entries.Add(await audit.GetAsync<JsonElement>($"entry:{i}"));
        }

        Assert.Equal(["set", "set", "deleted"], entries.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal(0, entries[0].GetProperty("previous_version").GetInt64());
        Assert.False(entries[0].TryGetProperty("previous_value", out _));
        Assert.Equal(created, entries[1].GetProperty("previous_version").GetInt64());
        Assert.Equal(10, entries[1].GetProperty("previous_value").GetProperty("total").GetInt32());
        Assert.Equal(12, entries[1].GetProperty("value").GetProperty("total").GetInt32());
        Assert.Equal(12, entries[2].GetProperty("previous_value").GetProperty("total").GetInt32());
        Assert.False(entries[2].TryGetProperty("value", out _));
    }

    [Fact]
    public async Task Each_call_of_the_handler_gets_the_full_instruction_budget_and_one_past_it_ends_the_watch()
    {
        await using var store = new StateStore();
        var host = new LuaScriptHost(store, new LuaScriptOptions { MaxInstructions = 200_000 });
        var done = WaitForAsync(store.For(StateScope.Workflow("w")), "calls", expected: 3);
        var watching = host.WatchAsync("""
            function on_change(change)
              local spin = change.value.spin
              local x = 0
              for i = 1, spin do x = x + i end
              workflow.state.update("calls", function(n) return (n or 0) + 1 end)
            end
            """, Orders with { WorkflowId = "w" });
        var orders = store.For(StateScope.Custom("orders"));

        // Each call spends about half the budget: three in a row pass only if every call starts afresh.
        for (var i = 0; i < 3; i++)
        {
            await orders.SetAsync($"k{i}", new { spin = 25_000 });
        }

        await done.WaitAsync(TimeSpan.FromMinutes(1));
        await orders.SetAsync("too-much", new { spin = 10_000_000 });
        var error = await Assert.ThrowsAsync<ScriptException>(() => watching.WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal(ScriptBudget.Instructions, error.Budget);
        Assert.Equal(3, await store.For(StateScope.Workflow("w")).GetAsync<int>("calls"));
    }

    [Fact]
    public async Task A_watching_script_without_an_on_change_function_is_refused()
    {
        await using var store = new StateStore();

        var error = await Assert.ThrowsAsync<ScriptException>(() => new LuaScriptHost(store).WatchAsync("""State.set("started", true)""", Orders));

        Assert.Contains("defines no global function on_change(change)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_lists_a_key_s_kept_versions_newest_first()
    {
        var options = new StateStoreOptions();
        options.History[StateScope.Global] = 5;
        await using var store = new StateStore(options);
        await store.SetAsync("price", 10);
        await store.SetAsync("price", 12);
        await store.DeleteAsync("price");

        var result = await new LuaScriptHost(store).RunAsync("""
            local h = State.history("price")
            return #h, h[3].value, h[2].value, h[1].deleted, h[1].value == nil, h[3].version < h[2].version, type(h[1].at)
            """);

        Assert.Equal(["3", "10", "12", "true", "true", "true", "\"string\""], result.Values.Select(v => v.GetRawText()));
    }

    /// <summary>Completes when <paramref name="key"/> exists in <paramref name="scope"/> (or reaches <paramref name="expected"/>).</summary>
    private static async Task WaitForAsync(IStateStore scope, string key, int? expected = null)
    {
        await foreach (var change in scope.WatchAsync(key))
        {
            if (change.Key == key && (expected is null || JsonSerializer.Deserialize<int>(change.Value.Span) >= expected))
            {
                return;
            }
        }
    }
}
