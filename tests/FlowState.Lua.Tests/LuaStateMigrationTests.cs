using FlowState.Lua.Migrations;
using FlowState.Sqlite;
using Xunit;

namespace FlowState.Lua.Tests;

/// <summary>Lua migrations run at open on a SQLite store: all or nothing, once, over every scope.</summary>
public sealed class LuaStateMigrationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowstate-lua-migrations-").FullName;

    private string StorePath => Path.Combine(_directory, "state.db");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<StateStore> OpenAsync(params IStateMigration[] migrations)
    {
        var options = new StateStoreOptions { Backend = new SqliteStateBackend(StorePath) };
        foreach (var migration in migrations)
        {
            options.Migrations.Add(migration);
        }

        return await StateStore.OpenAsync(options);
    }

    private async Task SeedAsync()
    {
        await using var store = await OpenAsync();
        await store.For(StateScope.Global).SetAsync("customer", new { name = "Ada", plan = "pro" });
        await store.For(StateScope.Workflow("r1")).SetAsync("customer_name", "Ada");
        await store.For(StateScope.Workflow("r2")).SetAsync("customer_name", "Grace");
        await store.For(StateScope.Custom("billing")).SetAsync("total", 12);
    }

    [Fact]
    public async Task A_migration_rewrites_keys_in_every_scope_and_runs_once()
    {
        await SeedAsync();
        var rename = new LuaStateMigration(1, """
            local customer = State.get("customer")
            customer.tier, customer.plan = customer.plan, nil
            State.set("customer", customer)
            for _, path in ipairs(migration.scopes()) do
              local scope = migration.scope(path)
              local name = scope.get("customer_name")
              if name ~= nil then
                scope.set("customer", { name = name })
                scope.delete("customer_name")
              end
            end
            migration.scope("custom:billing:").update("total", function(t) return t * 100 end)
            """);

        await using (var store = await OpenAsync(rename))
        {
            Assert.Equal(1, store.MigrationVersion);
        }

        await using var reopened = await OpenAsync(rename);
        Assert.Equal("""{"name":"Ada","tier":"pro"}""", await RawAsync(reopened.For(StateScope.Global), "customer"));
        Assert.Equal("""{"name":"Grace"}""", await RawAsync(reopened.For(StateScope.Workflow("r2")), "customer"));
        Assert.False(await reopened.For(StateScope.Workflow("r1")).ExistsAsync("customer_name"));
        Assert.Equal(1200, await reopened.For(StateScope.Custom("billing")).GetAsync<int>("total"));
    }

    [Fact]
    public async Task A_failing_migration_stores_nothing_and_keeps_the_version()
    {
        await SeedAsync();
        var first = new LuaStateMigration(1, """State.set("migrated_once", true)""");
        var failing = new LuaStateMigration(2, """
            migration.scope("workflow:r1:").delete("customer_name")
            State.set("half_done", true)
            error("cannot finish")
            """, "0002-broken.lua");

        var error = await Assert.ThrowsAsync<StateMigrationException>(() => OpenAsync(first, failing));

        Assert.Contains("0002-broken.lua:3: cannot finish", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.FailedVersion);
        Assert.Equal(1, error.AppliedVersion);
        await using var store = await OpenAsync(first);
        Assert.Equal(1, store.MigrationVersion);
        Assert.True(await store.For(StateScope.Global).GetAsync<bool>("migrated_once"));
        Assert.False(await store.For(StateScope.Global).ExistsAsync("half_done"));
        Assert.Equal("Ada", await store.For(StateScope.Workflow("r1")).GetAsync<string>("customer_name"));
    }

    [Theory]
    [InlineData("""migration.scope("workflow:")""", "must be followed by a name")]
    [InlineData("""migration.scope(42)""", "the path must be a string")]
    [InlineData("""while true do end""", "instruction budget exceeded")]
    public async Task A_bad_migration_script_fails_with_its_reason(string script, string expected)
    {
        await SeedAsync();

        var error = await Assert.ThrowsAsync<StateMigrationException>(() => OpenAsync(new LuaStateMigration(1, script, options: new LuaScriptOptions { MaxInstructions = 100_000 })));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.IsType<ScriptException>(error.InnerException);
    }

    [Fact]
    public async Task From_directory_orders_by_version_and_refuses_unversioned_or_duplicate_names()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_directory, "migrations")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "0010-later.lua"), "State.set('order', (State.get('order') or '') .. 'b')");
        await File.WriteAllTextAsync(Path.Combine(folder, "0002-first.lua"), "State.set('order', (State.get('order') or '') .. 'a')");
        await File.WriteAllTextAsync(Path.Combine(folder, "notes.txt"), "not a migration");

        var migrations = LuaStateMigration.FromDirectory(folder);
        await using (var store = await OpenAsync([.. migrations]))
        {
            Assert.Equal([2, 10], migrations.Select(m => m.Version));
            Assert.Equal(10, store.MigrationVersion);
            Assert.Equal("ab", await store.For(StateScope.Global).GetAsync<string>("order"));
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "0002-again.lua"), "return 1");
        Assert.Contains("both have version 2", Assert.Throws<ArgumentException>(() => LuaStateMigration.FromDirectory(folder)).Message, StringComparison.Ordinal);
        File.Delete(Path.Combine(folder, "0002-again.lua"));
        await File.WriteAllTextAsync(Path.Combine(folder, "cleanup.lua"), "return 1");
        Assert.Contains("must be named by its version first", Assert.Throws<ArgumentException>(() => LuaStateMigration.FromDirectory(folder)).Message, StringComparison.Ordinal);
        File.Delete(Path.Combine(folder, "cleanup.lua"));
        await File.WriteAllTextAsync(Path.Combine(folder, "0003-broken.lua"), "State.set(");
        Assert.Throws<ScriptException>(() => LuaStateMigration.FromDirectory(folder));
    }

    private static async Task<string> RawAsync(IStateReader reader, string key) =>
        System.Text.Encoding.UTF8.GetString((await reader.GetEntryAsync(key))!.Value.Span);
}
