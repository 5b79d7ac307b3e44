using FlowState.Checkpoints;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class StreamPipelineConformanceTests
{
    [Fact]
    public async Task An_incremental_checkpoint_holds_only_the_keys_changed_since_the_last_one()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 1000, 100);
        await using (var pipeline = CountingPipeline(files, source: new JsonLinesFileSource("input", files.Input) { KeyField = "key", Follow = true }))
        {
            using var stop = new CancellationTokenSource();
            var run = pipeline.RunAsync(stop.Token);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 1000);
            var full = await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            // Five messages, of keys k0..k4.
            SequenceInput.Write(files.Input, 5, 100, from: 1000);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 1005);
            var increment = await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            var statistics = await pipeline.GetStatisticsAsync();
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

            var manifests = (await pipeline.ListCheckpointsAsync()).ToDictionary(m => m.Id);
            Assert.False(manifests[full].Incremental);
            Assert.Equal(100, manifests[full].Entries);
            Assert.True(manifests[increment].Incremental);
            Assert.Equal(full, manifests[increment].ParentId);
            Assert.Equal(full, manifests[increment].BaseId);
            Assert.Equal(5, manifests[increment].Entries);
            Assert.True(manifests[increment].Bytes < manifests[full].Bytes / 5);
            Assert.Equal(increment, statistics.LastCheckpointId);
            Assert.True(statistics.LastCheckpointIncremental);
            Assert.Equal(100, statistics.StateEntries);
            Assert.Equal(1005, statistics.MessagesProcessed);
        }

        await using var restored = CountingPipeline(files, store: NewStore());
        Assert.Equal(manifestsOf(files).Max(), await restored.RecoverFromLatestCheckpointAsync());
        Assert.Equal(SequenceInput.Model(1005, 100), await SequenceInput.ReadCountsAsync(restored.StateOf("counts")));

        static IEnumerable<long> manifestsOf(PipelineFiles files) =>
            new DirectoryCheckpointStorage(files.Checkpoints).ListCheckpointIdsAsync(CancellationToken.None).Result;
    }

    [Fact]
    public async Task A_running_pipeline_s_keyed_state_is_queried_by_key_as_it_is_processed()
    {
        var messages = Enumerable.Range(0, 8).Select(i => StreamMessage.Create("a", i, id: $"m{i}")).ToList();
        var source = new GatedSource("gated", messages);
        await using var pipeline = new StreamPipelineBuilder("queried").AddSource(source).AddProcessor(new CountByKeyProcessor("counts")).WithStateStore(NewStore()).Build();
        using var stop = new CancellationTokenSource();
        var run = pipeline.RunAsync(stop.Token);

        source.Release(5);
        await PipelineProgress.WaitUntilProcessedAsync(pipeline, 5);
        var afterFive = await pipeline.StateOf("counts").GetAsync<long>("a");
        source.Release(3);
        await PipelineProgress.WaitUntilProcessedAsync(pipeline, 8);
        var afterEight = await pipeline.StateOf("counts").GetAsync<long>("a");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

        // Read live, between checkpoints (this pipeline takes none), not from the last checkpoint.
        Assert.Equal((5, 8), (afterFive, afterEight));
        Assert.Equal(0, (await pipeline.GetStatisticsAsync()).CheckpointsCompleted);
        Assert.Throws<ArgumentException>(() => pipeline.StateOf("no-such-processor"));
    }

    [Fact]
    public async Task A_deleted_key_is_a_tombstone_in_the_increment_and_stays_deleted_after_recovery()
    {
        var files = NewFiles();
        var messages = new List<StreamMessage>
        {
            StreamMessage.Create("a", 1, id: "m1"),
            StreamMessage.Create("b", 1, id: "m2"),
        };
        var source = new GatedSource("gated", messages);
        await using (var pipeline = new StreamPipelineBuilder("tombstones")
            .AddSource(source)
            .AddProcessor(new KeepOrDeleteProcessor("last"))
            .WithCheckpoints(new DirectoryCheckpointStorage(files.Checkpoints))
            .WithStateStore(NewStore())
            .Build())
        {
            using var stop = new CancellationTokenSource();
            var run = pipeline.RunAsync(stop.Token);
            source.Release(2);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 2);
            await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            messages.Add(StreamMessage.Create("a", -1, id: "m3"));
            source.Release(1);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 3);
            var increment = await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            var manifest = (await pipeline.ListCheckpointsAsync()).Single(m => m.Id == increment);
            Assert.True(manifest.Incremental);
            Assert.Equal(1, manifest.Entries);
        }

        await using var restored = new StreamPipelineBuilder("tombstones")
            .AddSource(new ListSource("gated", messages))
            .AddProcessor(new KeepOrDeleteProcessor("last"))
            .WithCheckpoints(new DirectoryCheckpointStorage(files.Checkpoints))
            .WithStateStore(NewStore())
            .Build();
        await restored.RecoverFromLatestCheckpointAsync();
        Assert.False(await restored.StateOf("last").ExistsAsync("a"));
        Assert.Equal(1, await restored.StateOf("last").GetAsync<int>("b"));
    }

    [Fact]
    public async Task Retention_keeps_the_newest_checkpoints_and_every_base_they_build_on()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 100, 10);
        var storage = new DirectoryCheckpointStorage(files.Checkpoints);
        await using var pipeline = CountingPipeline(
            files,
            source: new JsonLinesFileSource("input", files.Input) { KeyField = "key", Follow = true },
            configure: o =>
            {
                o.FullCheckpointEvery = 3;
                o.RetainedCheckpoints = 2;
            });
        using var stop = new CancellationTokenSource();
        var run = pipeline.RunAsync(stop.Token);
        var ids = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            SequenceInput.Write(files.Input, 1, 10, from: 100 + i);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 101 + i);
            ids.Add(await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1)));
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

        // Chains: 1 full, 2-3 on it; 4 full, 5-6 on it; 7 full. The newest two are 6 and 7; 6 needs 5 and 4.
        var kept = await storage.ListCheckpointIdsAsync(CancellationToken.None);
        Assert.Equal(ids.Skip(3), kept);
        Assert.Equal(4, (await storage.ListDataKeysAsync(CancellationToken.None)).Count);
        var manifests = (await pipeline.ListCheckpointsAsync()).ToDictionary(m => m.Id);
        Assert.Equal(ids[3], manifests[ids[5]].BaseId);
        Assert.False(manifests[ids[6]].Incremental);
    }

    [Fact]
    public async Task Restoring_four_partitions_into_two_keeps_every_count_and_starts_a_new_full_chain()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 3000, 29);
        await using (var four = CountingPipeline(files, partitions: 4, source: new JsonLinesFileSource("input", files.Input) { KeyField = "key", Follow = true }))
        {
            using var stop = new CancellationTokenSource();
            var run = four.RunAsync(stop.Token);
            await PipelineProgress.WaitUntilReadAsync(four, 3000);
            await four.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        }

        SequenceInput.Write(files.Input, 1000, 29, from: 3000);
        await using var two = CountingPipeline(files, partitions: 2, store: NewStore());
        var result = await two.RunAsync();

        Assert.Equal(1000, result.MessagesRead);
        Assert.Equal(SequenceInput.Model(4000, 29), await SequenceInput.CheckOutputAsync(files.Output, 4000));
        Assert.Equal(SequenceInput.Model(4000, 29), await SequenceInput.ReadCountsAsync(two.StateOf("counts")));
        var last = (await two.ListCheckpointsAsync())[^1];
        Assert.Equal(2, last.PartitionCount);
        Assert.False(last.Incremental);
        Assert.Equal(2, last.Files.Count);
    }

    [Fact]
    public async Task A_damaged_state_file_fails_recovery_with_StateCorruptedException_and_commits_nothing()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 500, 5);
        await using (var pipeline = CountingPipeline(files))
        {
            await pipeline.RunAsync();
        }

        var stateFile = Directory.EnumerateFiles(Path.Combine(files.Checkpoints, "data"), "*.state", SearchOption.AllDirectories).First();
        var bytes = await File.ReadAllBytesAsync(stateFile);
        bytes[bytes.Length / 2] ^= 0x20;
        await File.WriteAllBytesAsync(stateFile, bytes);
        var committed = JsonLinesFileSink.ListCommittedFiles(files.Output).Count;
        SequenceInput.Write(files.Input, 10, 5, from: 500);

        await using var again = CountingPipeline(files, store: NewStore());
        var error = await Assert.ThrowsAsync<StateCorruptedException>(() => again.RunAsync());

        Assert.Contains(Path.GetFileName(stateFile), error.Message, StringComparison.Ordinal);
        Assert.Equal(committed, JsonLinesFileSink.ListCommittedFiles(files.Output).Count);
    }

    [Fact]
    public async Task A_damaged_manifest_fails_recovery_with_StateCorruptedException()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 100, 5);
        await using (var pipeline = CountingPipeline(files))
        {
            await pipeline.RunAsync();
        }

        var manifest = Directory.EnumerateFiles(Path.Combine(files.Checkpoints, "manifests"), "*.json").Order(StringComparer.Ordinal).Last();
        var text = await File.ReadAllTextAsync(manifest);
        await File.WriteAllTextAsync(manifest, text.Replace("\"partitionCount\":4", "\"partitionCount\":5", StringComparison.Ordinal));

        await using var again = CountingPipeline(files, store: NewStore());
        var error = await Assert.ThrowsAsync<StateCorruptedException>(() => again.RecoverFromLatestCheckpointAsync());
        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
    }
}
