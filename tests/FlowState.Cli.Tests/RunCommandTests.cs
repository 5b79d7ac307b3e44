using FlowState.Conformance;

namespace FlowState.Cli.Tests;

public sealed class RunCommandTests : CliTestBase
{
    private static string WordCountFile => Path.Combine(RepositoryRoot, "examples", "flows", "word-count.yaml");

    private static string RepositoryRoot => TestServerScripts.RepositoryRoot;

    [Fact]
    public async Task Run_of_the_word_count_file_prints_each_step_and_the_ranking()
    {
        var (code, output, error) = await RunAsync("run", WordCountFile);

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error);
        Assert.Contains("done   read", output, StringComparison.Ordinal);
        Assert.Contains("done   report", output, StringComparison.Ordinal);
        Assert.Contains("completed: 4 step(s)", output, StringComparison.Ordinal);
        Assert.Contains("169 words in 3 documents; most frequent: state, run, store.", output, StringComparison.Ordinal);
        Assert.Matches(@"state\s+13", output);
    }

    [Fact]
    public async Task Second_run_starts_a_new_run_and_sees_the_first_runs_global_totals()
    {
        await RunAsync("run", WordCountFile);

        var (code, output, _) = await RunAsync("run", "word-count");

        Assert.Equal(0, code);
        Assert.Contains("run word-count_2", output, StringComparison.Ordinal);
        Assert.Contains("This store has counted 338 words in 2 run(s).", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_flow_file_and_unknown_flow_fail_with_one_line()
    {
        var bad = Directory.File("bad.yaml");
        await File.WriteAllTextAsync(bad, "flow: word-count\ninput:\n  top: many\n");
        var broken = Directory.File("broken.yaml");
        await File.WriteAllTextAsync(broken, "flow: [unclosed\n");

        var badTop = await RunAsync("run", bad);
        var unknown = await RunAsync("run", "no-such-flow");
        var notYaml = await RunAsync("run", broken);
        var missing = await RunAsync("run", Directory.File("missing.yaml"));

        Assert.Equal((1, "error: input.top must be a whole number from 1 to 10000 (got \"many\")"), (badTop.Code, badTop.Error.Trim()));
        Assert.Equal(1, unknown.Code);
        Assert.Contains("no bundled flow named 'no-such-flow'", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(1, notYaml.Code);
        Assert.Contains("is not valid YAML", notYaml.Error, StringComparison.Ordinal);
        Assert.Equal(1, missing.Code);
        Assert.All(new[] { badTop, unknown, notYaml, missing }, r => Assert.Single(r.Error.Trim().Split('\n')));
    }

    [Fact]
    public async Task Usage_errors_exit_with_2()
    {
        Assert.Equal(2, (await RunAsync("bogus")).Code);
        Assert.Equal(2, (await RunAsync("state", "get")).Code);
        var badStore = await RunAsync("stats", "--store", "ftp:somewhere");
        Assert.Equal(2, badStore.Code);
        Assert.Contains("unknown store kind 'ftp'", badStore.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await RunAsync("--help")).Code);
    }
}
