using FlowState.Checkpoints;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class StreamPipelineConformanceTests
{
    [Fact]
    public async Task Rolling_back_to_an_older_checkpoint_reruns_from_it_and_keeps_the_output_exactly_once()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 600, 9);
        long older;
        await using (var pipeline = CountingPipeline(files, source: new JsonLinesFileSource("input", files.Input) { KeyField = "key", Follow = true }))
        {
            using var stop = new CancellationTokenSource();
            var run = pipeline.RunAsync(stop.Token);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 600);
            older = await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            SequenceInput.Write(files.Input, 400, 9, from: 600);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 1000);
            await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));

            await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.RollBackToCheckpointAsync(older));

            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            await Assert.ThrowsAsync<CheckpointException>(() => pipeline.RollBackToCheckpointAsync(older + 100));

            var removed = await pipeline.RollBackToCheckpointAsync(older);

            Assert.Equal([older + 1], removed);
            Assert.Equal([older], (await pipeline.ListCheckpointsAsync()).Select(m => m.Id));
            Assert.Equal(SequenceInput.Model(600, 9), await SequenceInput.CheckOutputAsync(files.Output, 600));
        }

        await using var rerun = CountingPipeline(files, store: NewStore());
        var result = await rerun.RunAsync();

        Assert.Equal(older, result.RecoveredFromCheckpointId);
        Assert.Equal(400, result.MessagesRead);
        Assert.Equal(SequenceInput.Model(1000, 9), await SequenceInput.CheckOutputAsync(files.Output, 1000));
        Assert.Equal(SequenceInput.Model(1000, 9), await SequenceInput.ReadCountsAsync(rerun.StateOf("counts")));
    }

    private async Task<long> RunTwoCheckpointsAsync(PipelineFiles files)
    {
        SequenceInput.Write(files.Input, 600, 9);
        await using var pipeline = CountingPipeline(files, source: new JsonLinesFileSource("input", files.Input) { KeyField = "key", Follow = true });
        using var stop = new CancellationTokenSource();
        var run = pipeline.RunAsync(stop.Token);
        await PipelineProgress.WaitUntilReadAsync(pipeline, 600);
        var older = await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
        SequenceInput.Write(files.Input, 400, 9, from: 600);
        await PipelineProgress.WaitUntilReadAsync(pipeline, 1000);
        await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        return older;
    }

    [Fact]
    public async Task A_run_refuses_to_repeat_output_whose_checkpoints_went_missing_and_writes_nothing()
    {
        var files = NewFiles();
        var older = await RunTwoCheckpointsAsync(files);
        var storage = new DirectoryCheckpointStorage(files.Checkpoints);
        foreach (var id in (await storage.ListCheckpointIdsAsync(CancellationToken.None)).Where(id => id > older))
        {
            await storage.DeleteManifestAsync(id, CancellationToken.None); // as by hand, after a damaged manifest
        }

        await using var rerun = CountingPipeline(files, store: NewStore());
        var error = await Assert.ThrowsAnyAsync<StreamException>(() => rerun.RunAsync());

        Assert.Contains("already committed the output of checkpoint", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(SequenceInput.Model(1000, 9), await SequenceInput.CheckOutputAsync(files.Output, 1000));
    }

    [Fact]
    public async Task A_roll_back_that_keeps_later_output_reruns_and_writes_that_output_again_as_asked()
    {
        var files = NewFiles();
        var older = await RunTwoCheckpointsAsync(files);
        await using (var pipeline = CountingPipeline(files, store: NewStore()))
        {
            Assert.Equal([older + 1], await pipeline.RollBackToCheckpointAsync(older, keepLaterOutput: true));
        }

        await using var rerun = CountingPipeline(files, store: NewStore());
        var result = await rerun.RunAsync();

        Assert.Equal(older, result.RecoveredFromCheckpointId);
        Assert.Equal(1400, (await JsonLinesFileSink.ReadCommittedLinesAsync(files.Output)).Count);
    }
}
