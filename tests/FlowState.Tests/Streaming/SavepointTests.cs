using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;

namespace FlowState.Tests.Streaming;

/// <summary>Savepoints: a checkpoint copied into storage of its own, restored into a pipeline with another partition count.</summary>
public sealed class SavepointTests : IDisposable
{
    private const int Keys = 13;
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private DirectoryCheckpointStorage Storage(string name) => new(_directory.File(name));

    private StreamPipeline Pipeline(int partitions, string checkpoints, string output, int retained = 3, int fullEvery = 10) =>
        new StreamPipelineBuilder("counting")
            .AddSource(new JsonLinesFileSource("in", _directory.File("in.jsonl")) { KeyField = "key" })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", _directory.File(output)))
            .WithPartitions(partitions)
            .WithCheckpoints(Storage(checkpoints))
            .Configure(o =>
            {
                o.ExactlyOnce = true;
                o.RetainedCheckpoints = retained;
                o.FullCheckpointEvery = fullEvery;
            })
            .Build();

    [Fact]
    public async Task A_savepoint_restored_with_four_partitions_instead_of_two_ends_like_an_uninterrupted_run()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 1000, Keys);
        long saved;
        await using (var first = Pipeline(2, "checkpoints-a", "out"))
        {
            await first.RunAsync();
            saved = await first.CreateSavepointAsync(Storage("savepoint"));
        }

        // The savepoint needs nothing of the storage it came from.
        Directory.Delete(_directory.File("checkpoints-a"), recursive: true);
        await using var restored = Pipeline(4, "checkpoints-b", "out");
        var restoredId = await restored.RestoreSavepointAsync(Storage("savepoint"));
        SequenceInput.Write(_directory.File("in.jsonl"), 500, Keys, from: 1000);
        var result = await restored.RunAsync();
        await using var reference = Pipeline(2, "checkpoints-r", "out-r");
        await reference.RunAsync();

        Assert.Equal(saved, restoredId);
        Assert.Equal((saved, 500L), (result.RecoveredFromCheckpointId, result.MessagesRead));
        Assert.Equal(SequenceInput.Model(1500, Keys), await SequenceInput.ReadCountsAsync(restored.StateOf("counts")));
        var lines = await JsonLinesFileSink.ReadCommittedLinesAsync(_directory.File("out"));
        Assert.Equal(SequenceInput.Model(1500, Keys), SequenceInput.CheckOutput(lines, 1500));
        Assert.Equal((await JsonLinesFileSink.ReadCommittedLinesAsync(_directory.File("out-r"))).Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Retention_in_the_pipelines_storage_never_removes_a_savepoint()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 100, Keys);
        await using var pipeline = Pipeline(2, "checkpoints-a", "out", retained: 1, fullEvery: 1);
        await pipeline.RunAsync();
        var saved = await pipeline.CreateSavepointAsync(Storage("savepoint"));

        SequenceInput.Write(_directory.File("in.jsonl"), 10, Keys, from: 100);
        await pipeline.RunAsync();

        Assert.DoesNotContain(saved, (await pipeline.ListCheckpointsAsync()).Select(m => m.Id));
        Assert.Equal([saved], (await Storage("savepoint").ListCheckpointsAsync()).Select(m => m.Id));
    }

    [Fact]
    public async Task A_savepoint_of_an_incremental_checkpoint_carries_the_checkpoints_it_builds_on()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 300, Keys);
        await using var first = Pipeline(2, "checkpoints-a", "out-a");
        await first.RunAsync();
        SequenceInput.Write(_directory.File("in.jsonl"), 100, Keys, from: 300);
        await first.RunAsync();
        var latest = (await first.ListCheckpointsAsync())[^1];

        var saved = await first.CreateSavepointAsync(Storage("savepoint"));

        Assert.True(latest.Incremental);
        Assert.Equal(latest.Id, saved);
        Assert.Equal(
            (await first.ListCheckpointsAsync()).Select(m => m.Id).Where(id => id >= latest.BaseId && id <= latest.Id),
            (await Storage("savepoint").ListCheckpointsAsync()).Select(m => m.Id));
        await using var restored = Pipeline(3, "checkpoints-b", "out-a");
        await restored.RestoreSavepointAsync(Storage("savepoint"));
        await restored.RecoverFromLatestCheckpointAsync();
        Assert.Equal(SequenceInput.Model(400, Keys), await SequenceInput.ReadCountsAsync(restored.StateOf("counts")));
    }

    [Fact]
    public async Task Savepoints_need_a_checkpoint_and_empty_storage_and_restore_only_into_empty_storage()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 50, Keys);
        await using var pipeline = Pipeline(2, "checkpoints-a", "out-a");

        var none = await Assert.ThrowsAsync<CheckpointException>(() => pipeline.CreateSavepointAsync(Storage("savepoint")));
        await pipeline.RunAsync();
        await pipeline.CreateSavepointAsync(Storage("savepoint"));
        var taken = await Assert.ThrowsAsync<CheckpointException>(() => pipeline.CreateSavepointAsync(Storage("savepoint")));
        var occupied = await Assert.ThrowsAsync<CheckpointException>(() => pipeline.RestoreSavepointAsync(Storage("savepoint")));
        var empty = await Assert.ThrowsAsync<CheckpointException>(() => Pipeline(2, "checkpoints-b", "out-b").RestoreSavepointAsync(Storage("nothing")));

        Assert.Contains("has no complete checkpoint", none.Message, StringComparison.Ordinal);
        Assert.Contains("already holds checkpoints", taken.Message, StringComparison.Ordinal);
        Assert.Contains("already has checkpoints", occupied.Message, StringComparison.Ordinal);
        Assert.Contains("holds no savepoint", empty.Message, StringComparison.Ordinal);
        Assert.Single(await Storage("savepoint").ListCheckpointsAsync());
    }
}
