namespace FlowState.Cli.Tests;

public sealed class RunsAndDataCommandsTests : CliTestBase
{
    [Fact]
    public async Task Runs_list_show_history_fork_and_resume()
    {
        await RunAsync("run", "word-count");

        var list = await RunAsync("runs", "list");
        var show = await RunAsync("runs", "show", "word-count_1");
        var history = await RunAsync("runs", "history", "word-count_1");
        var fork = await RunAsync("runs", "fork", "word-count_1", "2", "--run-id", "again");
        var resume = await RunAsync("runs", "resume", "again");
        var lineage = await RunAsync("runs", "show", "again");
        var missing = await RunAsync("runs", "show", "nope");

        Assert.Matches(@"word-count_1\s+word-count\s+completed\s+4", list.Out);
        Assert.Contains("\"summary\":", show.Out, StringComparison.Ordinal);
        Assert.Contains("5 checkpoint(s)", history.Out, StringComparison.Ordinal);
        Assert.Matches(@"2\s+count\s+default", history.Out);
        Assert.Contains("forked run again from step 2 of word-count_1", fork.Out, StringComparison.Ordinal);
        Assert.Equal(0, resume.Code);
        Assert.Contains("run again completed: 2 step(s) this time", resume.Out, StringComparison.Ordinal);
        Assert.Contains("This store has counted 338 words in 2 run(s).", resume.Out, StringComparison.Ordinal);
        Assert.Equal(1, missing.Code);
        Assert.Contains("forked from run word-count_1 after step 2", lineage.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_delete_and_prune_ask_for_yes_and_remove_only_what_matches()
    {
        await RunAsync("run", "word-count");
        await RunAsync("run", "word-count", "--new");
        await RunAsync("run", "word-count", "--new");

        // Standard input is not a terminal here: without --yes nothing is removed.
        var unconfirmed = await RunAsync("runs", "delete", "word-count_1");
        var deleted = await RunAsync("runs", "delete", "word-count_1", "--yes");
        var missing = await RunAsync("runs", "delete", "word-count_1", "--yes");
        var nothing = await RunAsync("runs", "prune", "--status", "Failed", "--yes");
        var pruned = await RunAsync("runs", "prune", "--keep-last", "1", "--yes");
        var badDays = await RunAsync("runs", "prune", "--older-than-days", "-1");
        var list = await RunAsync("runs", "list");

        Assert.Equal(2, unconfirmed.Code);
        Assert.Contains("pass --yes to confirm", unconfirmed.Error, StringComparison.Ordinal);
        Assert.Equal(0, deleted.Code);
        Assert.Contains("deleted run word-count_1", deleted.Out, StringComparison.Ordinal);
        Assert.Equal(1, missing.Code);
        Assert.Contains("no run matches; nothing deleted", nothing.Out, StringComparison.Ordinal);
        Assert.Contains("deleted 1 run(s)", pruned.Out, StringComparison.Ordinal);
        Assert.Equal(2, badDays.Code);
        Assert.Contains("1 run(s)", list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("word-count_2", list.Out, StringComparison.Ordinal);
        Assert.Contains("word-count_3", list.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_list_shows_the_newest_first_filtered_and_limited()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, (await RunAsync("run", "word-count")).Code);
        }

        var newest = await RunAsync("runs", "list", "--status", "completed", "--limit", "1");
        var none = await RunAsync("runs", "list", "--flow", "other");
        var badStatus = await RunAsync("runs", "list", "--status", "done");
        var badLimit = await RunAsync("runs", "list", "--limit", "0");

        Assert.Contains("word-count_3", newest.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("word-count_2", newest.Out, StringComparison.Ordinal);
        Assert.Contains("1 of 3 run(s), newest first; --limit 3 shows them all", newest.Out, StringComparison.Ordinal);
        Assert.Contains("0 run(s)", none.Out, StringComparison.Ordinal);
        Assert.Equal(2, badStatus.Code);
        Assert.Contains("done", badStatus.Error, StringComparison.Ordinal);
        Assert.Equal(2, badLimit.Code);
        Assert.Contains("--limit must be at least 1", badLimit.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_to_a_dash_writes_the_export_alone_to_standard_output()
    {
        await RunAsync("state", "set", "a", "1");
        await RunAsync("state", "set", "b", "\"two\"");
        var toFile = Directory.File("file.jsonl");
        await RunAsync("export", toFile);

        var (code, output, error) = await RunAsync("export", "-");

        Assert.Equal(0, code);
        // The same entries as the file's export (the header's time and so the checksum differ), and a whole export.
        var fileLines = await File.ReadAllLinesAsync(toFile);
        var outputLines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(fileLines.Length, outputLines.Length);
        Assert.Equal(fileLines[1..^1], outputLines[1..^1]);
        var fromStdout = Directory.File("from-stdout.jsonl");
        await File.WriteAllTextAsync(fromStdout, output);
        var imported = await RunAsync("import", fromStdout, "--store", Directory.File("from-stdout.db"));
        Assert.True(imported.Code == 0, imported.Error);
        Assert.Contains("imported 2 entries", imported.Out, StringComparison.Ordinal);
        Assert.Contains("exported 2 entries to standard output", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "-")), "a file named '-' was written");
    }

    [Fact]
    public async Task Export_import_backup_and_restore_carry_every_entry()
    {
        await RunAsync("run", "word-count");
        var export = Directory.File("state.jsonl");
        var imported = Directory.File("imported.db");
        var backup = Directory.File("backup.db");
        var restored = Directory.File("restored");

        Assert.Equal(0, (await RunAsync("export", export)).Code);
        Assert.Equal(0, (await RunAsync("import", export, "--store", imported)).Code);
        Assert.Equal(0, (await RunAsync("backup", "copy", backup)).Code);
        var restore = await RunAsync("restore", backup, "--store", "rocksdb:" + restored);

        Assert.Equal(0, restore.Code);
        var original = await RunAsync("state", "get", "summary", "--scope", "workflow:word-count_1");
        foreach (var store in new[] { imported, backup, "rocksdb:" + restored })
        {
            Assert.Equal(original.Out, (await RunAsync("state", "get", "summary", "--scope", "workflow:word-count_1", "--store", store)).Out);
        }

        var refused = await RunAsync("restore", backup, "--store", imported);
        Assert.Equal(1, refused.Code);
        Assert.Contains("exists", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_refuses_a_store_or_a_foreign_database_and_never_writes_into_it()
    {
        await RunAsync("state", "set", "a", "1");
        var foreign = Directory.File("customers.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={foreign};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER); INSERT INTO customers VALUES (1);";
            command.ExecuteNonQuery();
        }

        foreach (var (source, why) in new[] { (StorePath, "it is a FlowState store, not a backup"), (foreign, "it holds no FlowState backup record") })
        {
            var before = await File.ReadAllBytesAsync(source);
            var target = Directory.File($"target-{Path.GetFileNameWithoutExtension(source)}.db");

            var (code, output, error) = await RunAsync("restore", source, "--store", target);

            Assert.Equal((1, string.Empty), (code, output));
            Assert.Contains($"'{source}' is not a complete FlowState backup: {why}", error, StringComparison.Ordinal);
            Assert.Equal(before, await File.ReadAllBytesAsync(source));
            Assert.False(File.Exists(target));
        }
    }

    [Fact]
    public async Task Damaged_export_is_refused_and_writes_nothing()
    {
        await RunAsync("state", "set", "a", "1");
        var export = Directory.File("state.jsonl");
        await RunAsync("export", export);
        var lines = await File.ReadAllLinesAsync(export);
        lines[1] = lines[1].Replace("1", "2", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(export, lines);
        var target = Directory.File("target.db");

        var (code, _, error) = await RunAsync("import", export, "--store", target);

        Assert.Equal(1, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(1, (await RunAsync("state", "get", "a", "--store", target)).Code);
    }

    [Fact]
    public async Task Stats_count_entries_per_top_level_scope()
    {
        await RunAsync("run", "word-count");

        var (code, output, _) = await RunAsync("stats");

        Assert.Equal(0, code);
        Assert.Matches(@"\(global\)\s+2", output);
        Assert.Contains("workflow:*", output, StringComparison.Ordinal);
    }
}
