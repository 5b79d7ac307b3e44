using FlowState.Cli;
using FlowState.Conformance;
using FlowState.Streaming;
using Xunit;

namespace FlowState.S3.Tests;

/// <summary><c>flowstate run</c> of a pipeline file with <c>backend_type: S3</c>, against s3rver.</summary>
[Collection(SharedS3rverServer.Name)]
public sealed class S3PipelineFileTests(S3rverServer server) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_pipeline_file_with_backend_S3_checkpoints_into_the_bucket_and_a_second_run_continues()
    {
        SequenceInput.Write(_directory.File("input.jsonl"), 400, 4);
        var prefix = $"cli/{Guid.NewGuid():N}/";
        var file = _directory.File("s3.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: s3-counting
            state:
              backend_type: S3
              exactly_once: true
              s3_config: { bucket: flowstate, prefix: "{{prefix}}", endpoint: "{{server.Endpoint}}", use_ssl: false }
            pipeline:
              partitions: 2
              sources:
                - { type: file, name: input, path: input.jsonl, key_field: key }
              processors:
                - { type: count, name: counts }
              sinks:
                - { type: file, name: out, path: {{_directory.File("out")}} }
            """);
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "S3RVER");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "S3RVER");

        var first = await InProcessCli.RunAsync("run", file);
        SequenceInput.Write(_directory.File("input.jsonl"), 100, 4, from: 400);
        var second = await InProcessCli.RunAsync("run", file);

        Assert.Equal((0, string.Empty), (first.Code, first.Error));
        Assert.Contains($"checkpoints in s3://flowstate/{prefix}", first.Out, StringComparison.Ordinal);
        Assert.Equal((0, string.Empty), (second.Code, second.Error));
        Assert.Contains("(continued from checkpoint 1): 100 message(s) read", second.Out, StringComparison.Ordinal);
        Assert.Equal(SequenceInput.Model(500, 4), await SequenceInput.CheckOutputAsync(_directory.File("out"), 500));
        using var storage = new S3CheckpointStorage(server.Options(prefix));
        Assert.Equal([1L, 2], await storage.ListCheckpointIdsAsync(CancellationToken.None));
    }
}
