using FlowState.Checkpoints;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class StreamPipelineConformanceTests
{
    [Fact]
    public async Task The_exactly_once_log_keeps_ids_since_the_checkpoint_before_the_last_and_forgets_older_ones()
    {
        var files = NewFiles();
        var first = StreamMessage.Create("a", 1, id: "m1");
        var messages = new List<StreamMessage> { first, StreamMessage.Create("b", 1, id: "m2") };
        var source = new GatedSource("gated", messages);
        var counter = new ExactlyOnceProcessor(new CountByKeyProcessor("counts"));
        var store = NewStore();
        await using var pipeline = new StreamPipelineBuilder("dedupe")
            .AddSource(source)
            .AddProcessor(counter)
            .WithPartitions(2)
            .WithCheckpoints(new DirectoryCheckpointStorage(files.Checkpoints))
            .WithStateStore(store)
            .Build();
        using var stop = new CancellationTokenSource();
        var run = pipeline.RunAsync(stop.Token);
        var processed = 0;
        async Task SendAsync(StreamMessage message)
        {
            messages.Add(message);
            source.Release(1);
            await PipelineProgress.WaitUntilProcessedAsync(pipeline, ++processed);
        }

        source.Release(2);
        await PipelineProgress.WaitUntilProcessedAsync(pipeline, processed = 2);
        await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
        await SendAsync(first);                               // one checkpoint later: still remembered
        var droppedAfterOne = counter.DuplicatesDropped;
        await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
        await SendAsync(StreamMessage.Create("b", 1, id: "m3"));  // a batch after the second checkpoint drops generation 0
        await SendAsync(first);                               // two checkpoints later: forgotten, counted again
        var logs = pipeline.StateOf("counts");
        var countOfA = await logs.GetAsync<long>("a");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal(1, droppedAfterOne);
        Assert.Equal(1, counter.DuplicatesDropped);
        Assert.Equal(2, countOfA);
        // The runtime state holds the ids of the last two generations only: m3 and the resent m1, nothing of generation 0.
        var runtime = StateScope.Custom("stream").Child("dedupe").ChildOfKind(ScopeSegmentKind.Runtime, "exactly-once").Child("counts").Child("ids");
        var generations = store.ListChildScopes(runtime).Select(g => (g.Scope.Name, g.Entries)).OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
        Assert.DoesNotContain(generations, g => g.Name == "g0");
        Assert.Equal(2, generations.Sum(g => g.Entries));
    }

    [Fact]
    public async Task Without_checkpoints_the_exactly_once_log_keeps_the_last_window_of_ids_per_key()
    {
        var messages = Enumerable.Range(0, 6).Select(i => StreamMessage.Create("a", i, id: $"m{i}")).ToList();
        messages.AddRange([StreamMessage.Create("a", 0, id: "m0"), StreamMessage.Create("a", 5, id: "m5")]);
        var counter = new ExactlyOnceProcessor(new CountByKeyProcessor("counts"), window: 4);
        await using var pipeline = new StreamPipelineBuilder("window")
            .AddSource(new ListSource("input", messages))
            .AddProcessor(counter)
            .WithStateStore(NewStore())
            .Build();

        await pipeline.RunAsync();

        // m0 fell out of the window of 4 and is applied again; m5 is in it and dropped.
        Assert.Equal(1, counter.DuplicatesDropped);
        Assert.Equal(7, await pipeline.StateOf("counts").GetAsync<long>("a"));
    }
}
