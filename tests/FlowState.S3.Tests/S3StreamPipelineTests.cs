using FlowState.Conformance;
using FlowState.Streaming;
using Xunit;

namespace FlowState.S3.Tests;

/// <summary>Stream pipelines checkpointing into a real S3 API server: recovery after a failure is exact.</summary>
[Collection(SharedS3rverServer.Name)]
public sealed class S3StreamPipelineTests(S3rverServer server) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private StreamPipeline Counting(string input, string output, S3CheckpointStorage storage, IProcessor pass) =>
        new StreamPipelineBuilder("s3-counting")
            .AddSource(new JsonLinesFileSource("input", input) { KeyField = "key" })
            .AddProcessor(pass)
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", output))
            .WithPartitions(3)
            .WithCheckpoints(storage, TimeSpan.FromMilliseconds(30))
            .Configure(o =>
            {
                o.ExactlyOnce = true;
                o.BatchSize = 64;
                o.FullCheckpointEvery = 3;
            })
            .Build();

    [Fact]
    public async Task A_failure_mid_run_then_a_rerun_from_S3_checkpoints_loses_and_duplicates_nothing()
    {
        var input = _directory.File("input.jsonl");
        var output = _directory.File("out");
        SequenceInput.Write(input, 30_000, 31);
        var prefix = $"pipelines/{Guid.NewGuid():N}/";
        using var storage = new S3CheckpointStorage(server.Options(prefix));
        await using (var failing = Counting(input, output, storage, new FailingProcessor("pass", failAfterMessages: 24_000, delayPerBatch: TimeSpan.FromMilliseconds(2))))
        {
            await Assert.ThrowsAsync<StreamException>(() => failing.RunAsync());
            var manifests = await failing.ListCheckpointsAsync();
            Assert.Contains(manifests, m => m.Incremental);
        }

        await using var rerun = Counting(input, output, storage, new FailingProcessor("pass"));
        var result = await rerun.RunAsync();

        Assert.NotNull(result.RecoveredFromCheckpointId);
        Assert.True(result.MessagesRead < 30_000);
        Assert.Equal(SequenceInput.Model(30_000, 31), await SequenceInput.CheckOutputAsync(output, 30_000));
        Assert.Equal(SequenceInput.Model(30_000, 31), await SequenceInput.ReadCountsAsync(rerun.StateOf("counts")));
    }
}
