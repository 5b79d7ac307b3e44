using System.Text.Json;

namespace FlowState.Cli.Tests;

public sealed class BackupCatalogCommandsTests : CliTestBase
{
    [Fact]
    public async Task Backups_are_created_listed_verified_restored_across_backends_and_pruned()
    {
        var catalog = Directory.File("backups");
        await RunAsync("state", "set", "a", "1");
        var first = await RunAsync("backup", "create", "--catalog", catalog);
        await RunAsync("state", "set", "a", "2");
        await RunAsync("state", "set", "b", "3");
        var second = await RunAsync("backup", "create", "--catalog", catalog, "--label", "after b");
        var listed = await RunAsync("backup", "list", "--catalog", catalog, "--json");
        var verified = await RunAsync("backup", "verify", "--catalog", catalog);

        Assert.True(first.Code == 0, first.Error);
        Assert.StartsWith("backup 1, full, version ", first.Out, StringComparison.Ordinal);
        Assert.Contains("backup 2, incremental on 1", second.Out, StringComparison.Ordinal);
        using (var document = JsonDocument.Parse(listed.Out))
        {
            var backups = document.RootElement.GetProperty("backups");
            Assert.Equal(["full", "incremental"], backups.EnumerateArray().Select(record => record.GetProperty("kind").GetString()));
            Assert.Equal("after b", backups[1].GetProperty("label").GetString());
        }

        Assert.Equal((0, "2 backup(s) intact"), (verified.Code, verified.Out.TrimEnd().Split('\n')[^1]));

        var dryRun = await RunAsync("backup", "restore", "--catalog", catalog, "--backup", "1", "--dry-run");
        Assert.Contains("would restore backup 1", dryRun.Out, StringComparison.Ordinal);
        Assert.Contains("0 added, 1 changed, 1 removed, 0 unchanged", dryRun.Out, StringComparison.Ordinal);
        Assert.Contains("  removed (global) b", dryRun.Out, StringComparison.Ordinal);
        Assert.Equal("2", (await RunAsync("state", "get", "a")).Out.Trim());

        var unconfirmed = await RunAsync("backup", "restore", "--catalog", catalog, "--backup", "1");
        Assert.Equal(2, unconfirmed.Code);
        Assert.Contains("pass --yes", unconfirmed.Error, StringComparison.Ordinal);

        var restored = await RunAsync("backup", "restore", "--catalog", catalog, "--backup", "1", "--yes");
        Assert.True(restored.Code == 0, restored.Error);
        Assert.Contains("the state before: backup 3, incremental on 2", restored.Out, StringComparison.Ordinal);
        Assert.Equal("1", (await RunAsync("state", "get", "a")).Out.Trim());
        Assert.NotEqual(0, (await RunAsync("state", "get", "b")).Code);

        // The same catalog restores into a RocksDB store: backups are portable.
        var rocks = "rocksdb:" + Directory.File("rocks");
        var intoRocks = await RunAsync("backup", "restore", "--catalog", catalog, "--backup", "2", "--yes", "--no-safety-backup", "--store", rocks);
        Assert.True(intoRocks.Code == 0, intoRocks.Error);
        Assert.Equal("3", (await RunAsync("state", "get", "b", "--store", rocks)).Out.Trim());

        Assert.Contains("nothing to remove; 3 backup(s) kept", (await RunAsync("backup", "prune", "--catalog", catalog, "--keep-last", "1")).Out, StringComparison.Ordinal);
        await RunAsync("backup", "create", "--catalog", catalog, "--full");
        var pruned = await RunAsync("backup", "prune", "--catalog", catalog, "--keep-last", "1", "--yes");
        Assert.True(pruned.Code == 0, pruned.Error);
        Assert.Contains("removed backup(s) 1, 2, 3; kept 4", pruned.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_backup_fails_verify_and_usage_errors_name_the_way_out()
    {
        var catalog = Directory.File("backups");
        await RunAsync("state", "set", "a", "1");
        await RunAsync("backup", "create", "--catalog", catalog);
        var file = Path.Combine(catalog, "000001.backup.jsonl");
        await File.WriteAllTextAsync(file, (await File.ReadAllTextAsync(file)).Replace("\"key\":\"a\"", "\"key\":\"z\"", StringComparison.Ordinal));

        var verified = await RunAsync("backup", "verify", "--catalog", catalog, "--json");
        var restore = await RunAsync("backup", "restore", "--catalog", catalog, "--yes");
        var noCatalog = await RunAsync("backup", "create");
        var both = await RunAsync("backup", "create", "--catalog", catalog, "--full", "--incremental");
        var keepNothing = await RunAsync("backup", "prune", "--catalog", catalog);
        var twoPoints = await RunAsync("backup", "restore", "--catalog", catalog, "--backup", "1", "--to-version", "3");

        Assert.Equal(1, verified.Code);
        using (var document = JsonDocument.Parse(verified.Out))
        {
            Assert.False(document.RootElement.GetProperty("intact").GetBoolean());
            Assert.Contains("SHA-256", document.RootElement.GetProperty("backups")[0].GetProperty("problem").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(1, restore.Code);
        Assert.Contains("Backup 1", restore.Error, StringComparison.Ordinal);
        Assert.Equal("1", (await RunAsync("state", "get", "a")).Out.Trim());
        Assert.Equal(2, noCatalog.Code);
        Assert.Contains("--catalog", noCatalog.Error, StringComparison.Ordinal);
        Assert.Equal(2, both.Code);
        Assert.Contains("--full and --incremental exclude each other", both.Error, StringComparison.Ordinal);
        Assert.Equal(2, keepNothing.Code);
        Assert.Contains("Say what to keep", keepNothing.Error, StringComparison.Ordinal);
        Assert.Equal(2, twoPoints.Code);
        Assert.Contains("Name one point", twoPoints.Error, StringComparison.Ordinal);
    }
}
