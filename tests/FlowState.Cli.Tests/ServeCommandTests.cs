namespace FlowState.Cli.Tests;

/// <summary><c>flowstate serve</c> refuses what it cannot serve, naming the cause, before it listens.</summary>
public sealed class ServeCommandTests : CliTestBase
{
    [Theory]
    [InlineData("--host", "localhost", "--host must be an IP address such as 127.0.0.1, not 'localhost'")]
    [InlineData("--port", "70000", "--port must be between 0 and 65535, not 70000")]
    public async Task A_bad_address_is_a_usage_error(string option, string value, string message)
    {
        var (code, _, error) = await RunAsync("serve", option, value);

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_that_does_not_exist_is_not_created()
    {
        var (code, _, error) = await RunAsync("serve", "--port", "0");

        Assert.Equal(1, code);
        Assert.Contains("there is no sqlite store at", error, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public async Task A_pipeline_that_never_ran_is_named_with_the_way_out()
    {
        Assert.Equal(0, (await RunAsync("state", "set", "k", "1")).Code);
        var pipeline = Directory.File("orders.yaml");
        await File.WriteAllTextAsync(pipeline, $"name: orders\nstate:\n  enabled: true\n  checkpoint_dir: {Directory.File("checkpoints")}\npipeline:\n  sources:\n    - {{ type: file, name: in, path: in.txt, format: text }}\n  sinks:\n    - {{ type: file, name: out, path: out }}\n");

        var (code, _, error) = await RunAsync("serve", "--port", "0", "--pipeline", pipeline);

        Assert.Equal(1, code);
        Assert.Contains("pipeline orders has no checkpoints yet", error, StringComparison.Ordinal);
        Assert.Contains("run it first", error, StringComparison.Ordinal);
        Assert.False(System.IO.Directory.Exists(Directory.File("checkpoints")));
    }
}
