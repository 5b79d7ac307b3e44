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

    private StreamPipeline Counting(string input, string output, S3CheckpointStorage storage, IProcessor pass, bool follow) =>
        new StreamPipelineBuilder("s3-counting")
            .AddSource(new JsonLinesFileSource("input", input) { KeyField = "key", Follow = follow })
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
        SequenceInput.Write(input, 6000, 31);
        var prefix = $"pipelines/{Guid.NewGuid():N}/";
        using var storage = new S3CheckpointStorage(server.Options(prefix));
        var failing = new FailingProcessor("pass", delayPerBatch: TimeSpan.FromMilliseconds(1));
        await using (var pipeline = Counting(input, output, storage, failing, follow: true))
        {
            var run = pipeline.RunAsync();
            await PipelineProgress.WaitUntilReadAsync(pipeline, 6000);
            await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            SequenceInput.Write(input, 6000, 31, from: 6000);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 12_000);
            await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            SequenceInput.Write(input, 6000, 31, from: 12_000);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 18_000);
            failing.Arm();
            SequenceInput.Write(input, 1, 31, from: 18_000);
            await Assert.ThrowsAsync<StreamException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Contains(await pipeline.ListCheckpointsAsync(), m => m.Incremental);
        }

        await using var rerun = Counting(input, output, storage, new FailingProcessor("pass"), follow: false);
        var result = await rerun.RunAsync();

        Assert.NotNull(result.RecoveredFromCheckpointId);
        Assert.True(result.MessagesRead < 18_001);
        Assert.Equal(SequenceInput.Model(18_001, 31), await SequenceInput.CheckOutputAsync(output, 18_001));
        Assert.Equal(SequenceInput.Model(18_001, 31), await SequenceInput.ReadCountsAsync(rerun.StateOf("counts")));
    }
}
