using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Xunit;

namespace FlowState.Redis.Tests;

[Collection(SharedRedisServer.Name)]
public sealed class RedisStreamSourceTests(RedisServer server) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly string _stream = $"events-{Guid.NewGuid():N}";

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Entries_are_read_in_order_with_their_stream_ids_as_ids_and_offsets()
    {
        await server.AppendAsync(_stream, 5, 2);
        var source = new RedisStreamSource("events", server.Connection, _stream) { KeyField = "key" };
        await source.SeekAsync(null, CancellationToken.None);

        var first = await source.ReadAsync(3, CancellationToken.None);
        var afterFirst = source.Offset;
        var rest = await source.ReadAsync(10, CancellationToken.None);
        var none = await source.ReadAsync(10, CancellationToken.None);

        Assert.Equal([0, 1, 2], first.Messages.Select(m => int.Parse(m.Value.GetProperty("seq").GetString()!, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(["k0", "k1", "k0"], first.Messages.Select(m => m.Key));
        Assert.Equal(first.Messages[^1].Id, afterFirst);
        Assert.Equal([3, 4], rest.Messages.Select(m => int.Parse(m.Value.GetProperty("seq").GetString()!, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(rest.Messages[^1].Id, source.Offset);
        Assert.Empty(none.Messages);
        Assert.False(none.EndOfStream);
    }

    [Fact]
    public async Task Seeking_to_an_offset_replays_exactly_what_came_after_it()
    {
        await server.AppendAsync(_stream, 6, 3);
        var source = new RedisStreamSource("events", server.Connection, _stream);
        await source.SeekAsync(null, CancellationToken.None);
        await source.ReadAsync(2, CancellationToken.None);
        var checkpointed = source.Offset;
        var after = await source.ReadAsync(10, CancellationToken.None);

        var replay = new RedisStreamSource("events", server.Connection, _stream);
        await replay.SeekAsync(checkpointed, CancellationToken.None);
        var again = await replay.ReadAsync(10, CancellationToken.None);

        Assert.Equal(after.Messages.Select(m => m.Id), again.Messages.Select(m => m.Id));
        Assert.Equal(4, again.Messages.Count);
    }

    [Fact]
    public async Task A_bad_offset_a_value_field_that_is_not_JSON_and_an_unreachable_server_are_StreamSourceExceptions()
    {
        await server.Connection.GetDatabase().StreamAddAsync(_stream, "payload", "{not json");
        var source = new RedisStreamSource("events", server.Connection, _stream) { ValueField = "payload" };

        await Assert.ThrowsAsync<StreamSourceException>(async () => await source.SeekAsync("yesterday", CancellationToken.None));
        var bad = await Assert.ThrowsAsync<StreamSourceException>(async () => await source.ReadAsync(10, CancellationToken.None));
        Assert.Contains("is not JSON", bad.Message, StringComparison.Ordinal);
        Assert.Throws<StreamSourceException>(() => new RedisStreamSource("events", "127.0.0.1:1,connectTimeout=200,abortConnect=true", _stream));
    }

    [Fact]
    public async Task A_pipeline_from_a_Redis_stream_recovers_after_a_failure_and_writes_every_entry_once()
    {
        await server.AppendAsync(_stream, 5000, 17);
        var output = _directory.File("out");
        var checkpoints = new DirectoryCheckpointStorage(_directory.File("checkpoints"));
        StreamPipeline Counting(IProcessor pass, bool stopAtEnd) => new StreamPipelineBuilder("redis-counting")
            .AddSource(new RedisStreamSource("events", server.Connection, _stream) { KeyField = "key", StopAtEnd = stopAtEnd })
            .AddProcessor(pass)
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", output))
            .WithPartitions(3)
            .WithCheckpoints(checkpoints, TimeSpan.FromMilliseconds(20))
            .Configure(o =>
            {
                o.ExactlyOnce = true;
                o.BatchSize = 64;
            })
            .Build();

        var failing = new FailingProcessor("pass", delayPerBatch: TimeSpan.FromMilliseconds(1));
        await using (var pipeline = Counting(failing, stopAtEnd: false))
        {
            var run = pipeline.RunAsync();
            await PipelineProgress.WaitUntilReadAsync(pipeline, 5000);
            await pipeline.CreateCheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
            await server.AppendAsync(_stream, 5000, 17, from: 5000);
            await PipelineProgress.WaitUntilReadAsync(pipeline, 10_000);
            failing.Arm();
            await server.AppendAsync(_stream, 1, 17, from: 10_000);
            await Assert.ThrowsAsync<StreamException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.All(await pipeline.ListCheckpointsAsync(), m => Assert.Matches("^[0-9]+-[0-9]+$", m.SourceOffsets["events"]!));
        }

        await using var rerun = Counting(new FailingProcessor("pass"), stopAtEnd: true);
        var result = await rerun.RunAsync();

        Assert.NotNull(result.RecoveredFromCheckpointId);
        Assert.True(result.MessagesRead < 10_001);
        Assert.Equal(SequenceInput.Model(10_001, 17), await SequenceInput.CheckOutputAsync(output, 10_001));
    }
}
