using FlowState.Cli;
using FlowState.Conformance;
using Xunit;

namespace FlowState.Redis.Tests;

/// <summary><c>flowstate run</c> of a pipeline file whose source is a Redis stream.</summary>
[Collection(SharedRedisServer.Name)]
public sealed class RedisPipelineFileTests(RedisServer server) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_pipeline_file_reads_a_Redis_stream_and_a_second_run_reads_only_new_entries()
    {
        var stream = $"file-events-{Guid.NewGuid():N}";
        await server.AppendAsync(stream, 300, 5);
        var file = _directory.File("redis.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: redis-counting
            state:
              backend_type: Memory
              checkpoint_dir: {{_directory.File("checkpoints")}}
              exactly_once: true
            pipeline:
              partitions: 2
              sources:
                - { type: redis, name: events, configuration: "{{server.Configuration}}", stream: {{stream}}, key_field: key, stop_at_end: true }
              processors:
                - { type: count, name: counts }
              sinks:
                - { type: file, name: out, path: {{_directory.File("out")}} }
            """);

        var first = await InProcessCli.RunAsync("run", file);
        await server.AppendAsync(stream, 20, 5, from: 300);
        var second = await InProcessCli.RunAsync("run", file);

        Assert.Equal((0, string.Empty), (first.Code, first.Error));
        Assert.Contains("300 message(s) read", first.Out, StringComparison.Ordinal);
        Assert.Equal((0, string.Empty), (second.Code, second.Error));
        Assert.Contains("(continued from checkpoint 1): 20 message(s) read", second.Out, StringComparison.Ordinal);
        Assert.Equal(SequenceInput.Model(320, 5), await SequenceInput.CheckOutputAsync(_directory.File("out"), 320));
    }
}
