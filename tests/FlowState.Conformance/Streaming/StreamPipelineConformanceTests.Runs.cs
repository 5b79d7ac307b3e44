using FlowState.Checkpoints;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class StreamPipelineConformanceTests
{
    [Fact]
    public async Task Bounded_run_counts_every_message_once_and_commits_all_output()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 5000, 37);
        await using var pipeline = CountingPipeline(files);

        var result = await pipeline.RunAsync();

        Assert.Null(result.RecoveredFromCheckpointId);
        Assert.Equal(5000, result.MessagesRead);
        Assert.Equal(5000, result.MessagesWritten);
        Assert.NotNull(result.LastCheckpointId);
        Assert.Equal(SequenceInput.Model(5000, 37), await SequenceInput.CheckOutputAsync(files.Output, 5000));
        Assert.Equal(SequenceInput.Model(5000, 37), await SequenceInput.ReadCountsAsync(pipeline.StateOf("counts")));
    }

    [Fact]
    public async Task A_later_run_continues_after_the_last_checkpoint_and_reads_only_new_lines()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 3000, 11);
        long? first;
        await using (var pipeline = CountingPipeline(files))
        {
            first = (await pipeline.RunAsync()).LastCheckpointId;
        }

        SequenceInput.Write(files.Input, 1000, 11, from: 3000);
        await using var again = CountingPipeline(files, store: NewStore());
        var result = await again.RunAsync();

        Assert.Equal(first, result.RecoveredFromCheckpointId);
        Assert.Equal(1000, result.MessagesRead);
        Assert.True(result.LastCheckpointId > first);
        Assert.Equal(SequenceInput.Model(4000, 11), await SequenceInput.CheckOutputAsync(files.Output, 4000));
        Assert.Equal(SequenceInput.Model(4000, 11), await SequenceInput.ReadCountsAsync(again.StateOf("counts")));
    }

    [Fact]
    public async Task A_failure_mid_run_then_a_rerun_loses_and_duplicates_nothing()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 10_000, 53);
        var failing = new FailingProcessor("pass", delayPerBatch: TimeSpan.FromMilliseconds(1));
        await using (var pipeline = CountingPipeline(
            files,
            before: failing,
            source: new JsonLinesFileSource("input", files.Input) { KeyField = "key", Follow = true },
            configure: o => o.CheckpointInterval = TimeSpan.FromMilliseconds(20)))
        {
            var run = pipeline.RunAsync();
            await PipelineProgress.WaitUntilReadAsync(pipeline, 10_000);
            await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            // More input, checkpointed every 20 ms while it flows; then the next batch fails.
            SequenceInput.Write(files.Input, 10_000, 53, from: 10_000);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 20_000);
            failing.Arm();
            SequenceInput.Write(files.Input, 1, 53, from: 20_000);
            var error = await Assert.ThrowsAsync<StreamException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Contains("injected failure", error.Message, StringComparison.Ordinal);
        }

        await using var rerun = CountingPipeline(files, before: new FailingProcessor("pass"), store: NewStore());
        var result = await rerun.RunAsync();

        Assert.NotNull(result.RecoveredFromCheckpointId);
        Assert.True(result.MessagesRead < 20_001, "the rerun started from the checkpoint, not the beginning");
        Assert.Equal(SequenceInput.Model(20_001, 53), await SequenceInput.CheckOutputAsync(files.Output, 20_001));
        Assert.Equal(SequenceInput.Model(20_001, 53), await SequenceInput.ReadCountsAsync(rerun.StateOf("counts")));
    }

    [Fact]
    public async Task Several_sources_are_aligned_at_each_barrier_so_a_recovery_is_exact()
    {
        var files = NewFiles();
        var second = files.Input + ".second";
        SequenceInput.Write(files.Input, 6000, 7);
        SequenceInput.Write(second, 3000, 7, from: 6000);
        StreamPipeline TwoSources(IProcessor slow, bool follow) => new StreamPipelineBuilder("two-sources")
            .AddSource(new JsonLinesFileSource("a", files.Input) { KeyField = "key", Follow = follow })
            .AddSource(new JsonLinesFileSource("b", second) { KeyField = "key", Follow = follow })
            .AddProcessor(slow)
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", files.Output))
            .WithPartitions(3)
            .WithCheckpoints(new DirectoryCheckpointStorage(files.Checkpoints), TimeSpan.FromMilliseconds(15))
            .WithStateStore(NewStore())
            .Configure(o => o.BatchSize = 50)
            .Build();

        var failing = new FailingProcessor("slow", delayPerBatch: TimeSpan.FromMilliseconds(1));
        await using (var pipeline = TwoSources(failing, follow: true))
        {
            var run = pipeline.RunAsync();
            await PipelineProgress.WaitUntilReadAsync(pipeline, 9000);
            await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            // Both inputs grow at once, so barriers meet data on both inputs while they are aligned.
            SequenceInput.Write(files.Input, 3000, 7, from: 9000);
            SequenceInput.Write(second, 3000, 7, from: 12_000);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 15_000);
            failing.Arm();
            SequenceInput.Write(second, 1, 7, from: 15_000);
            await Assert.ThrowsAsync<StreamException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            var manifests = await pipeline.ListCheckpointsAsync();
            Assert.All(manifests, m => Assert.Equal(["a", "b"], m.SourceOffsets.Keys.Order()));
        }

        await using var rerun = TwoSources(new FailingProcessor("slow"), follow: false);
        var result = await rerun.RunAsync();

        Assert.NotNull(result.RecoveredFromCheckpointId);
        Assert.Equal(SequenceInput.Model(15_001, 7), await SequenceInput.CheckOutputAsync(files.Output, 15_001));
        Assert.Equal(SequenceInput.Model(15_001, 7), await SequenceInput.ReadCountsAsync(rerun.StateOf("counts")));
    }

    [Fact]
    public async Task A_run_stopped_while_its_checkpoint_is_being_stored_ends_after_it_and_the_next_run_continues_from_it()
    {
        var files = NewFiles();
        var storage = new HeldManifestCheckpointStorage(new DirectoryCheckpointStorage(files.Checkpoints));
        SequenceInput.Write(files.Input, 1000, 11);
        StreamPipeline Counting(bool follow) => new StreamPipelineBuilder("counting")
            .AddSource(new JsonLinesFileSource("input", files.Input) { KeyField = "key", Follow = follow })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", files.Output))
            .WithPartitions(2)
            .WithCheckpoints(storage)
            .WithStateStore(NewStore())
            .Build();

        long held;
        await using (var pipeline = Counting(follow: true))
        {
            using var stop = new CancellationTokenSource();
            var run = pipeline.RunAsync(stop.Token);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 1000);
            storage.HoldNextManifest();
            var checkpoint = pipeline.CreateCheckpointAsync();
            held = await storage.Held.WaitAsync(TimeSpan.FromMinutes(1));
            await stop.CancelAsync();
            await Task.Delay(200);
            Assert.False(run.IsCompleted, "the run must not end while the manifest of a fully acknowledged checkpoint is being written");

            storage.Release();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal(held, await checkpoint.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Contains(held, (await pipeline.ListCheckpointsAsync()).Select(m => m.Id));
            Assert.Equal(SequenceInput.Model(1000, 11), await SequenceInput.CheckOutputAsync(files.Output, 1000));
        }

        SequenceInput.Write(files.Input, 500, 11, from: 1000);
        await using var rerun = Counting(follow: false);
        var result = await rerun.RunAsync();

        Assert.Equal(held, result.RecoveredFromCheckpointId);
        Assert.Equal(500, result.MessagesRead);
        Assert.Equal(SequenceInput.Model(1500, 11), await SequenceInput.CheckOutputAsync(files.Output, 1500));
        Assert.Equal(SequenceInput.Model(1500, 11), await SequenceInput.ReadCountsAsync(rerun.StateOf("counts")));
    }

    [Fact]
    public async Task Stopping_a_run_discards_uncommitted_output_and_the_next_run_redoes_it_once()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 2000, 5);
        await using (var pipeline = CountingPipeline(files, source: new JsonLinesFileSource("input", files.Input) { KeyField = "key", Follow = true }))
        {
            using var stop = new CancellationTokenSource();
            var run = pipeline.RunAsync(stop.Token);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 2000);
            await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            SequenceInput.Write(files.Input, 500, 5, from: 2000);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 2500);
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal(SequenceInput.Model(2000, 5), await SequenceInput.CheckOutputAsync(files.Output, 2000));
            Assert.Equal([".flowstate-sink"], Directory.EnumerateFiles(files.Output, ".*").Select(Path.GetFileName)); // no pending or in-progress part
        }

        await using var resumed = CountingPipeline(files, store: NewStore());
        var result = await resumed.RunAsync();

        Assert.Equal(500, result.MessagesRead);
        Assert.Equal(SequenceInput.Model(2500, 5), await SequenceInput.CheckOutputAsync(files.Output, 2500));
    }
}
