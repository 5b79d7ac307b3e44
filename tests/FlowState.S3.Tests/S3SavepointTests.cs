using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Xunit;

namespace FlowState.S3.Tests;

/// <summary>A savepoint of a running pipeline taken into S3 and restored into a pipeline checkpointing into a folder.</summary>
[Collection(SharedS3rverServer.Name)]
public sealed class S3SavepointTests(S3rverServer server) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private StreamPipeline Counting(int partitions, string checkpoints, bool follow) =>
        new StreamPipelineBuilder("s3-savepoint")
            .AddSource(new JsonLinesFileSource("input", _directory.File("input.jsonl")) { KeyField = "key", Follow = follow })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", _directory.File("out")))
            .WithPartitions(partitions)
            .WithCheckpoints(new DirectoryCheckpointStorage(_directory.File(checkpoints)), TimeSpan.FromMilliseconds(50))
            .Configure(o => o.ExactlyOnce = true)
            .Build();

    [Fact]
    public async Task A_savepoint_of_a_running_pipeline_goes_to_S3_and_comes_back_into_a_folder_with_more_partitions()
    {
        SequenceInput.Write(_directory.File("input.jsonl"), 3000, 17);
        using var savepoint = new S3CheckpointStorage(server.Options($"savepoints/{Guid.NewGuid():N}/"));
        long saved;
        await using (var running = Counting(2, "checkpoints-a", follow: true))
        {
            using var stop = new CancellationTokenSource();
            var run = running.RunAsync(stop.Token);
            await PipelineProgress.WaitUntilReadAsync(running, 3000);
            saved = await running.CreateSavepointAsync(savepoint).WaitAsync(TimeSpan.FromMinutes(1));
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        }

        SequenceInput.Write(_directory.File("input.jsonl"), 1000, 17, from: 3000);
        await using var restored = Counting(5, "checkpoints-b", follow: false);
        Assert.Equal(saved, await restored.RestoreSavepointAsync(savepoint));
        var result = await restored.RunAsync();

        Assert.Equal(saved, result.RecoveredFromCheckpointId);
        Assert.Equal(SequenceInput.Model(4000, 17), await SequenceInput.ReadCountsAsync(restored.StateOf("counts")));
        Assert.Equal(SequenceInput.Model(4000, 17), await SequenceInput.CheckOutputAsync(_directory.File("out"), 4000));
    }
}
