using FlowState.Checkpoints;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class StreamPipelineConformanceTests
{
    private StreamPipeline UnreliablePipeline(PipelineFiles files, UnreliableCheckpointStorage storage, int tolerated, StateStore? store = null) =>
        new StreamPipelineBuilder("counting")
            .AddSource(new JsonLinesFileSource("input", files.Input) { KeyField = "key", Follow = true })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", files.Output))
            .WithPartitions(2)
            .WithCheckpoints(storage)
            .WithStateStore(store ?? NewStore())
            .Configure(o =>
            {
                o.ExactlyOnce = true;
                o.BatchSize = 64;
                o.TolerableCheckpointFailures = tolerated;
            })
            .Build();

    /// <summary>
    /// Starts a pipeline over the 1,000 messages of <paramref name="files"/>' input, takes a first checkpoint of them,
    /// then feeds 500 more and waits until they are read: the scenario before a checkpoint that fails.
    /// </summary>
    private static async Task<(Task Run, long First)> RunToAFirstCheckpointAndFeedMoreAsync(StreamPipeline pipeline, PipelineFiles files, CancellationTokenSource stop)
    {
        var run = pipeline.RunAsync(stop.Token);
        await PipelineProgress.WaitUntilReadAsync(pipeline, 1000);
        var first = await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
        SequenceInput.Write(files.Input, 500, 17, from: 1000);
        await PipelineProgress.WaitUntilReadAsync(pipeline, 1500);
        return (run, first);
    }

    /// <summary>
    /// After one failed checkpoint between <paramref name="first"/> and the next (1,500 messages read, 1,000 committed):
    /// 500 more messages, the next checkpoint, the run stopped; the next checkpoint is a full one that commits the failed
    /// one's sink transaction with its own, and the output is exact.
    /// </summary>
    private static async Task NextCheckpointCommitsTheFailedOnesOutputAsync(StreamPipeline pipeline, PipelineFiles files, Task run, CancellationTokenSource stop, long first)
    {
        SequenceInput.Write(files.Input, 500, 17, from: 1500);
        await PipelineProgress.WaitUntilReadAsync(pipeline, 2000);
        var next = await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
        var statistics = await pipeline.GetStatisticsAsync();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

        var manifests = (await pipeline.ListCheckpointsAsync()).ToDictionary(m => m.Id);
        Assert.Equal([first, next], manifests.Keys.Order());
        Assert.False(manifests[next].Incremental);
        Assert.Equal(2, manifests[next].SinkTransactions["out"].Count);
        Assert.Equal(1, statistics.CheckpointsFailed);
        Assert.Equal(SequenceInput.Model(2000, 17), await SequenceInput.CheckOutputAsync(files.Output, 2000));
    }

    /// <summary>Runs a pipeline again until it read <paramref name="messages"/> messages, takes a checkpoint and stops it.</summary>
    private static async Task RerunToACheckpointAsync(StreamPipeline rerun, int messages)
    {
        using var stop = new CancellationTokenSource();
        var again = rerun.RunAsync(stop.Token);
        await PipelineProgress.WaitUntilReadAsync(rerun, messages);
        await rerun.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => again.WaitAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task A_tolerated_checkpoint_failure_is_skipped_and_the_next_checkpoint_commits_its_output_once()
    {
        var files = NewFiles();
        var storage = new UnreliableCheckpointStorage(new DirectoryCheckpointStorage(files.Checkpoints));
        SequenceInput.Write(files.Input, 1000, 17);
        await using (var pipeline = UnreliablePipeline(files, storage, tolerated: 1))
        {
            using var stop = new CancellationTokenSource();
            var (run, first) = await RunToAFirstCheckpointAndFeedMoreAsync(pipeline, files, stop);
            storage.FailNextManifests(1);

            var skipped = await Assert.ThrowsAsync<CheckpointException>(() => pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1)));

            Assert.Contains("could not be stored and was skipped (1 in a row, 1 tolerated)", skipped.Message, StringComparison.Ordinal);
            Assert.IsType<IOException>(skipped.InnerException);
            Assert.False(run.IsCompleted);
            Assert.Equal(1000, (await JsonLinesFileSink.ReadCommittedLinesAsync(files.Output)).Count);

            await NextCheckpointCommitsTheFailedOnesOutputAsync(pipeline, files, run, stop, first);
        }

        await using var restored = UnreliablePipeline(files, storage, tolerated: 1);
        Assert.Equal(storage.Failed.Single() + 1, await restored.RecoverFromLatestCheckpointAsync());
        Assert.Equal(SequenceInput.Model(2000, 17), await SequenceInput.ReadCountsAsync(restored.StateOf("counts")));
    }

    [Fact]
    public async Task More_checkpoint_failures_in_a_row_than_tolerated_fail_the_run_and_a_rerun_is_exact()
    {
        var files = NewFiles();
        var storage = new UnreliableCheckpointStorage(new DirectoryCheckpointStorage(files.Checkpoints));
        SequenceInput.Write(files.Input, 800, 13);
        await using (var pipeline = UnreliablePipeline(files, storage, tolerated: 1))
        {
            var run = pipeline.RunAsync();
            await PipelineProgress.WaitUntilReadAsync(pipeline, 800);
            await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            SequenceInput.Write(files.Input, 300, 13, from: 800);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 1100);
            storage.FailNextManifests(2);

            await Assert.ThrowsAsync<CheckpointException>(() => pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1)));
            await Assert.ThrowsAsync<IOException>(() => pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1)));

            var failed = await Assert.ThrowsAsync<StreamException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.IsType<IOException>(failed.InnerException);
        }

        await using var rerun = UnreliablePipeline(files, storage, tolerated: 1, store: NewStore());
        await RerunToACheckpointAsync(rerun, 300);

        Assert.Equal(SequenceInput.Model(1100, 13), await SequenceInput.CheckOutputAsync(files.Output, 1100));
        Assert.Equal(SequenceInput.Model(1100, 13), await SequenceInput.ReadCountsAsync(rerun.StateOf("counts")));
    }
}
