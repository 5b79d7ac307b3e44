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
}
