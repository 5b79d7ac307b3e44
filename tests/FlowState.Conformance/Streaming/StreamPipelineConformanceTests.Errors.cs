using FlowState.Checkpoints;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class StreamPipelineConformanceTests
{
    [Fact]
    public async Task A_processor_writing_a_key_of_another_partition_fails_the_run_with_a_clear_error()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 200, 10);
        await using var pipeline = CountingPipeline(files, before: new GlobalTotalProcessor("total"));

        var error = await Assert.ThrowsAsync<StreamException>(() => pipeline.RunAsync());

        Assert.Contains("Processor 'total'", error.Message, StringComparison.Ordinal);
        Assert.Contains("belongs to partition", error.Message, StringComparison.Ordinal);
        Assert.Empty(JsonLinesFileSink.ListCommittedFiles(files.Output));
    }

    [Fact]
    public async Task A_line_that_is_not_JSON_fails_the_run_naming_the_byte_offset_and_keeps_earlier_checkpoints()
    {
        var files = NewFiles();
        SequenceInput.Write(files.Input, 100, 5);
        await using (var first = CountingPipeline(files))
        {
            await first.RunAsync();
        }

        var offset = new FileInfo(files.Input).Length;
        await File.AppendAllTextAsync(files.Input, "{\"seq\": 100, \"key\": \n");
        await using var second = CountingPipeline(files, store: NewStore());

        var error = await Assert.ThrowsAsync<StreamException>(() => second.RunAsync());

        var cause = Assert.IsType<StreamSourceException>(error.InnerException);
        Assert.Contains($"byte {offset}", cause.Message, StringComparison.Ordinal);
        Assert.Equal(SequenceInput.Model(100, 5), await SequenceInput.CheckOutputAsync(files.Output, 100));
        Assert.Equal(SequenceInput.Model(100, 5), await SequenceInput.ReadCountsAsync(second.StateOf("counts")));
    }

    [Fact]
    public async Task A_missing_input_file_is_a_StreamSourceException()
    {
        var files = NewFiles();
        await using var pipeline = CountingPipeline(files);

        var error = await Assert.ThrowsAsync<StreamSourceException>(() => pipeline.RunAsync());

        Assert.Contains("input.jsonl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Building_a_bad_pipeline_says_what_is_wrong()
    {
        var files = NewFiles();
        var source = new JsonLinesFileSource("input", files.Input);
        StreamDefinitionException Fails(Func<StreamPipelineBuilder, StreamPipelineBuilder> build) =>
            Assert.Throws<StreamDefinitionException>(() => build(new StreamPipelineBuilder("bad")).Build());

        Assert.Contains("no source", Fails(b => b.AddSink(new JsonLinesFileSink("out", files.Output))).Message, StringComparison.Ordinal);
        Assert.Contains("neither a processor nor a sink", Fails(b => b.AddSource(source)).Message, StringComparison.Ordinal);
        Assert.Contains("two processors are named 'count'", Fails(b => b.AddSource(source).AddProcessor(new CountByKeyProcessor("count")).AddProcessor(new CountByKeyProcessor("count"))).Message, StringComparison.Ordinal);
        Assert.Contains("partitions is 0", Fails(b => b.AddSource(source).AddProcessor(new CountByKeyProcessor("count")).WithPartitions(0)).Message, StringComparison.Ordinal);
        Assert.Contains("the checkpoint timeout must be positive", Fails(b => b.AddSource(source).AddProcessor(new CountByKeyProcessor("count")).Configure(o => o.CheckpointTimeout = TimeSpan.Zero)).Message, StringComparison.Ordinal);
        Assert.Contains("needs checkpoint storage", Fails(b => b.AddSource(source).AddProcessor(new CountByKeyProcessor("count")).Configure(o => o.ExactlyOnce = true)).Message, StringComparison.Ordinal);
        Assert.Contains("sink 'plain'", Fails(b => b.AddSource(source).AddSink(new PlainListSink("plain"))
            .WithCheckpoints(new DirectoryCheckpointStorage(files.Checkpoints)).Configure(o => o.ExactlyOnce = true)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_pipelines_cannot_share_one_store_at_a_time()
    {
        var files = NewFiles();
        var store = NewStore();
        await using (var first = CountingPipeline(files, store: store))
        {
            var error = Assert.Throws<InvalidOperationException>(() => CountingPipeline(NewFiles(), store: store));
            Assert.Contains("already serves a stream pipeline", error.Message, StringComparison.Ordinal);
        }

        await using var second = CountingPipeline(NewFiles(), store: store);
    }

    [Fact]
    public async Task Creating_a_checkpoint_of_a_pipeline_that_is_not_running_is_refused()
    {
        var files = NewFiles();
        await using var pipeline = CountingPipeline(files);

        await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.CreateCheckpointAsync());
    }

    [Fact]
    public async Task Duplicates_from_the_input_are_applied_once_by_the_exactly_once_wrapper()
    {
        var files = NewFiles();
        var messages = new List<StreamMessage>();
        for (var i = 0; i < 300; i++)
        {
            var message = StreamMessage.Create($"k{i % 7}", i, id: $"m{i}");
            messages.Add(message);
            if (i % 3 == 0)
            {
                messages.Add(message);
            }
        }

        var counter = new ExactlyOnceProcessor(new CountByKeyProcessor("counts"));
        await using var pipeline = CountingPipeline(files, source: new ListSource("input", messages), counter: counter);

        await pipeline.RunAsync();

        Assert.Equal(100, counter.DuplicatesDropped);
        Assert.Equal(SequenceInput.Model(300, 7), await SequenceInput.CheckOutputAsync(files.Output, 300));
    }

    [Fact]
    public async Task Session_windows_close_on_the_gap_and_at_the_end_of_input()
    {
        var files = NewFiles();
        var start = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        var events = new (string User, int Minute)[] { ("ann", 0), ("bob", 1), ("ann", 3), ("ann", 20), ("bob", 4), ("ann", 22), ("bob", 40) };
        var messages = events.Select((e, i) => StreamMessage.Create(e.User, new { at = start.AddMinutes(e.Minute) }, id: $"e{i}")).ToList();
        await using var pipeline = new StreamPipelineBuilder("sessions")
            .AddSource(new ListSource("clicks", messages))
            .AddProcessor(new SessionWindowProcessor("sessions", TimeSpan.FromMinutes(10)) { TimeField = "at" })
            .AddSink(new JsonLinesFileSink("out", files.Output))
            .WithPartitions(2)
            .WithCheckpoints(new DirectoryCheckpointStorage(files.Checkpoints))
            .WithStateStore(NewStore())
            .Build();

        await pipeline.RunAsync();

        var sessions = (await JsonLinesFileSink.ReadCommittedLinesAsync(files.Output))
            .Select(l => System.Text.Json.JsonSerializer.Deserialize<Session>(l, SequenceInput.Web)!)
            .Select(s => $"{s.Key} {(s.Start - start).TotalMinutes}-{(s.End - start).TotalMinutes} x{s.Events}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(["ann 0-3 x2", "ann 20-22 x2", "bob 1-4 x2", "bob 40-40 x1"], sessions);
        Assert.Empty(await ToListAsync(pipeline.StateOf("sessions").ListKeysAsync()));
    }
}
