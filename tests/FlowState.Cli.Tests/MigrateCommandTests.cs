namespace FlowState.Cli.Tests;

public sealed class MigrateCommandTests : CliTestBase
{
    [Fact]
    public async Task Migrate_applies_the_newer_lua_migrations_once_and_reports_the_version()
    {
        var folder = Directory.File("migrations");
        System.IO.Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "0001-rename.lua"), """
            local scope = migration.scope("custom:app:")
            scope.set("user_name", scope.get("username"))
            scope.delete("username")
            """);
        await RunAsync("state", "set", "username", "\"ada\"", "--scope", "custom:app");

        var fresh = await RunAsync("migrate");
        var first = await RunAsync("migrate", folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "0002-count.lua"), "State.update('migrations_run', function(n) return (n or 0) + 1 end)");
        var second = await RunAsync("migrate", folder);
        var again = await RunAsync("migrate", folder);

        Assert.Equal("migration version 0", fresh.Out.Trim());
        Assert.Equal("migration version 0 -> 1: applied 0001-rename.lua", first.Out.Trim());
        Assert.Equal("migration version 1 -> 2: applied 0002-count.lua", second.Out.Trim());
        Assert.Equal("migration version 2: nothing to apply", again.Out.Trim());
        Assert.Equal("\"ada\"", (await RunAsync("state", "get", "user_name", "--scope", "custom:app")).Out.Trim());
        Assert.Equal("1", (await RunAsync("state", "get", "migrations_run")).Out.Trim());
    }

    [Fact]
    public async Task A_failing_migration_fails_with_one_line_and_changes_nothing()
    {
        var folder = Directory.File("migrations");
        System.IO.Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "0001-broken.lua"), "State.set('half', true)\nerror('stop here')");

        var (code, _, error) = await RunAsync("migrate", folder);
        var missing = await RunAsync("migrate", Directory.File("no-such-folder"));

        Assert.Equal(1, code);
        Assert.Contains("0001-broken.lua:2: stop here", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal("migration version 0", (await RunAsync("migrate")).Out.Trim());
        Assert.Equal(1, (await RunAsync("state", "get", "half")).Code);
        Assert.Equal(1, missing.Code);
        Assert.Contains("no migrations folder", missing.Error, StringComparison.Ordinal);
    }
}
