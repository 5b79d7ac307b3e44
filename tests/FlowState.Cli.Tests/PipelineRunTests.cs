using System.Text.Json;

namespace FlowState.Cli.Tests;

public sealed class PipelineRunTests : CliTestBase
{
    private string WritePipeline(string name, string state, string? processors = null, int partitions = 3, string? input = null, string? copy = null)
    {
        input ??= name;
        var checkpoints = copy ?? name;
        if (!File.Exists(Directory.File($"{input}.jsonl")))
        {
            File.WriteAllLines(Directory.File($"{input}.jsonl"), Enumerable.Range(0, 300).Select(i => $"{{\"seq\":{i},\"key\":\"k{i % 6}\"}}"));
        }

        var file = Directory.File($"{checkpoints}.yaml");
        File.WriteAllText(file, $$"""
            name: {{name}}
            state:
              checkpoint_dir: {{Directory.File(checkpoints + "-checkpoints")}}
            {{state}}
            pipeline:
              partitions: {{partitions}}
              sources:
                - { type: file, name: input, path: {{input}}.jsonl, key_field: key }
              processors:
            {{processors ?? "    - { type: count, name: counts }"}}
              sinks:
                - { type: file, name: out, path: {{Directory.File(input + "-out")}} }
            """);
        return file;
    }

    [Fact]
    public async Task Run_of_a_pipeline_file_counts_and_a_second_run_continues_from_its_checkpoint()
    {
        var file = WritePipeline("counting", "  exactly_once: true");

        var first = await RunAsync("run", file);
        File.AppendAllLines(Directory.File("counting.jsonl"), ["{\"seq\":300,\"key\":\"k0\"}"]);
        var second = await RunAsync("run", file);

        Assert.Equal((0, string.Empty), (first.Code, first.Error));
        Assert.Contains("pipeline counting completed: 300 message(s) read, 300 written", first.Out, StringComparison.Ordinal);
        Assert.Contains("counts: 6 key(s), 300 counted", first.Out, StringComparison.Ordinal);
        Assert.Equal((0, string.Empty), (second.Code, second.Error));
        Assert.Contains("pipeline counting completed (continued from checkpoint 1): 1 message(s) read", second.Out, StringComparison.Ordinal);
        Assert.Matches(@"\s51\s+k0", second.Out);
        Assert.Equal(301, (await FlowState.Streaming.JsonLinesFileSink.ReadCommittedLinesAsync(Directory.File("counting-out"))).Count);
    }

    [Fact]
    public async Task A_checkpoint_dir_that_holds_the_users_files_is_refused_and_nothing_is_deleted()
    {
        var project = Directory.File("project");
        System.IO.Directory.CreateDirectory(Path.Combine(project, "data", "customers"));
        File.WriteAllText(Path.Combine(project, "data", "customers", "list.csv"), "id,name\n1,ada\n");
        var file = WritePipeline("project-dir", string.Empty);
        File.WriteAllText(file, File.ReadAllText(file).Replace(Directory.File("project-dir-checkpoints"), project, StringComparison.Ordinal));

        var (code, _, error) = await RunAsync("run", file);

        Assert.Equal(1, code);
        Assert.Contains($"The checkpoint folder '{project}' holds files FlowState did not create", error, StringComparison.Ordinal);
        Assert.Equal("id,name\n1,ada\n", File.ReadAllText(Path.Combine(project, "data", "customers", "list.csv")));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../escape")]
    public async Task A_pipeline_name_that_climbs_out_of_its_folder_is_an_error_naming_its_line(string name)
    {
        var file = WritePipeline("climb", string.Empty);
        File.WriteAllText(file, File.ReadAllText(file).Replace("name: climb", $"name: \"{name}\"", StringComparison.Ordinal));

        var (code, _, error) = await RunAsync("run", file);

        Assert.Equal(1, code);
        Assert.StartsWith($"error: {file}, line 1: the pipeline name is not valid:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_key_in_a_pipeline_file_is_an_error_naming_its_line()
    {
        var file = WritePipeline("typo", "  checkpoint_intervall_ms: 100");

        var (code, _, error) = await RunAsync("run", file);

        Assert.Equal(1, code);
        Assert.StartsWith($"error: {file}, line 4: unknown key 'checkpoint_intervall_ms' in '(file).state' (did you mean 'checkpoint_interval_ms'?); the known keys are", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_value_in_a_pipeline_file_is_an_error_naming_its_line_and_what_to_write()
    {
        var file = WritePipeline("bad", "  retained_checkpoints: lots");
        var noGap = WritePipeline("nogap", string.Empty, "    - { type: session_window, name: s }");
        var s3 = WritePipeline("s3", "  backend_type: S3");

        var bad = await RunAsync("run", file);
        var missingGap = await RunAsync("run", noGap);
        var unavailable = await RunAsync("run", s3);

        Assert.Equal((1, $"error: {file}, line 4: '(file).state.retained_checkpoints' is 'lots'; use a whole number from 1 to 10000"), (bad.Code, bad.Error.Trim()));
        Assert.Contains("line 10: a session_window processor needs 'gap_ms'", missingGap.Error, StringComparison.Ordinal);
        Assert.Contains("line 4: backend_type S3", unavailable.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_postgres_sink_with_a_table_name_that_is_not_an_identifier_is_refused_with_its_line()
    {
        var file = Directory.File("pg.yaml");
        await File.WriteAllTextAsync(file, """
            name: pg
            pipeline:
              sources:
                - { type: file, name: input, path: input.jsonl }
              sinks:
                - { type: postgres, name: out, connection_string: "Host=127.0.0.1", table: "out; DROP TABLE x" }
            """);

        var (code, _, error) = await RunAsync("run", file);

        Assert.Equal(1, code);
        Assert.Contains("line 6: The table 'out; DROP TABLE x' must be a plain identifier", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpoints_list_and_show_read_a_pipeline_files_checkpoints()
    {
        var file = WritePipeline("listed", "  exactly_once: true");
        await RunAsync("run", file);

        var list = await RunAsync("checkpoints", "list", file);
        var show = await RunAsync("checkpoints", "show", file, "1");
        var missing = await RunAsync("checkpoints", "show", file, "7");
        var json = await RunAsync("checkpoints", "list", file, "--json");

        Assert.Equal(0, list.Code);
        Assert.Matches(@"1\s+full\s+\S+ \S+\s+6\s", list.Out);
        Assert.Contains("1 checkpoint(s)", list.Out, StringComparison.Ordinal);
        Assert.Equal(0, show.Code);
        Assert.Contains("\"pipelineName\": \"listed\"", show.Out, StringComparison.Ordinal);
        var checkpoint = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("checkpoints").EnumerateArray());
        Assert.Equal((1, false, 6), (checkpoint.GetProperty("id").GetInt64(), checkpoint.GetProperty("incremental").GetBoolean(), checkpoint.GetProperty("entries").GetInt32()));
        Assert.Contains("\"input\": \"", show.Out, StringComparison.Ordinal);
        Assert.Equal(1, missing.Code);
        Assert.Contains("there is no complete checkpoint 7", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpoints_restore_rolls_a_pipeline_back_and_the_next_run_redoes_the_later_input_once()
    {
        var file = WritePipeline("rolled", "  exactly_once: true");
        await RunAsync("run", file);
        File.AppendAllLines(Directory.File("rolled.jsonl"), Enumerable.Range(300, 30).Select(i => $"{{\"seq\":{i},\"key\":\"k{i % 6}\"}}"));
        await RunAsync("run", file);

        var unconfirmed = await RunAsync("checkpoints", "restore", file, "1");
        var restore = await RunAsync("checkpoints", "restore", file, "1", "--yes");
        var committed = await FlowState.Streaming.JsonLinesFileSink.ReadCommittedLinesAsync(Directory.File("rolled-out"));
        var again = await RunAsync("checkpoints", "restore", file, "1");
        var missing = await RunAsync("checkpoints", "restore", file, "9");
        var rerun = await RunAsync("run", file);

        // Without a terminal to ask on, a restore that removes something needs --yes, and changes nothing without it.
        Assert.Equal(2, unconfirmed.Code);
        Assert.Contains("this removes checkpoint(s) 2 and the output they committed; pass --yes to confirm", unconfirmed.Error, StringComparison.Ordinal);
        Assert.Equal((0, string.Empty), (restore.Code, restore.Error));
        Assert.Contains("rolled back to checkpoint 1: removed checkpoint(s) 2 and their output", restore.Out, StringComparison.Ordinal);
        Assert.Equal(300, committed.Count);
        Assert.Contains("checkpoint 1 is already the latest", again.Out, StringComparison.Ordinal);
        Assert.Equal(1, missing.Code);
        Assert.Contains("has no complete checkpoint 9", missing.Error, StringComparison.Ordinal);
        Assert.Contains("(continued from checkpoint 1): 30 message(s) read", rerun.Out, StringComparison.Ordinal);
        Assert.Equal(330, (await FlowState.Streaming.JsonLinesFileSink.ReadCommittedLinesAsync(Directory.File("rolled-out"))).Count);
    }

    [Fact]
    public async Task A_savepoint_taken_with_the_cli_starts_a_pipeline_of_another_partition_count()
    {
        var file = WritePipeline("saved", "  exactly_once: true");
        await RunAsync("run", file);
        var savepoint = Directory.File("savepoint");

        var taken = await RunAsync("checkpoints", "savepoint", file, savepoint);
        var twice = await RunAsync("checkpoints", "savepoint", file, savepoint);
        var rescaled = WritePipeline("saved", "  exactly_once: true", partitions: 5, copy: "rescaled");
        var renamed = WritePipeline("renamed", "  exactly_once: true", input: "saved", copy: "renamed");
        var otherName = await RunAsync("checkpoints", "restore-savepoint", renamed, savepoint);
        var restored = await RunAsync("checkpoints", "restore-savepoint", rescaled, savepoint);
        File.AppendAllLines(Directory.File("saved.jsonl"), ["{\"seq\":300,\"key\":\"k0\"}"]);
        var run = await RunAsync("run", rescaled);
        var missing = await RunAsync("checkpoints", "restore-savepoint", rescaled, Directory.File("nowhere"));

        Assert.Equal((0, string.Empty), (taken.Code, taken.Error));
        Assert.Contains("savepoint of checkpoint 1 in ", taken.Out, StringComparison.Ordinal);
        Assert.Equal(1, twice.Code);
        Assert.Contains("already holds checkpoints", twice.Error, StringComparison.Ordinal);
        Assert.Equal((0, string.Empty), (restored.Code, restored.Error));
        Assert.Contains("restored the savepoint of checkpoint 1", restored.Out, StringComparison.Ordinal);
        Assert.Equal((0, string.Empty), (run.Code, run.Error));
        Assert.Contains("(continued from checkpoint 1): 1 message(s) read", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"\s51\s+k0", run.Out);
        Assert.Equal(301, (await FlowState.Streaming.JsonLinesFileSink.ReadCommittedLinesAsync(Directory.File("saved-out"))).Count);
        Assert.Equal(1, missing.Code);
        Assert.Contains("there is no savepoint folder", missing.Error, StringComparison.Ordinal);
        Assert.Equal(1, otherName.Code);
        Assert.Contains("was taken of pipeline 'saved'", otherName.Error, StringComparison.Ordinal);
    }
}
