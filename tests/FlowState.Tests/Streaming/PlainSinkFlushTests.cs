using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;

namespace FlowState.Tests.Streaming;

/// <summary>A plain (at-least-once) sink is told to make its output durable at the end of the input, checkpoints or not.</summary>
public sealed class PlainSinkFlushTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_plain_sink_is_flushed_after_the_last_message_it_was_given(bool checkpoints)
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 500, 7);
        var sink = new PlainListSink("out");
        var builder = new StreamPipelineBuilder("flushed")
            .AddSource(new JsonLinesFileSource("in", _directory.File("in.jsonl")) { KeyField = "key" })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(sink)
            .WithPartitions(3);
        if (checkpoints)
        {
            builder.WithCheckpoints(new DirectoryCheckpointStorage(_directory.File("checkpoints")));
        }

        await using var pipeline = builder.Build();
        await pipeline.RunAsync();

        Assert.Equal(500, sink.Messages.Count);
        Assert.Equal(500, sink.FlushedMessages);
    }
}
