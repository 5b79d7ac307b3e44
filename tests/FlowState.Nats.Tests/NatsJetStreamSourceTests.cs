using FlowState.Streaming;
using Xunit;

namespace FlowState.Nats.Tests;

[Collection(SharedNatsServer.Name)]
public sealed class NatsJetStreamSourceTests(NatsServer server)
{
    private readonly string _stream = $"EVENTS{Guid.NewGuid():N}";

    private static int Seq(StreamMessage message) => message.Value.GetProperty("seq").GetInt32();

    [Fact]
    public async Task Messages_are_read_in_order_with_their_stream_sequences_as_ids_and_offsets()
    {
        await server.CreateStreamAsync(_stream);
        await server.PublishAsync($"{_stream}.in", 5, 2);
        await using var source = new NatsJetStreamSource("events", server.Connection, _stream);
        await source.SeekAsync(null, CancellationToken.None);

        var first = await source.ReadAsync(3, CancellationToken.None);
        var afterFirst = source.Offset;
        var rest = await source.ReadAsync(10, CancellationToken.None);
        var none = await source.ReadAsync(10, CancellationToken.None);

        Assert.Equal([0, 1, 2], first.Messages.Select(Seq));
        Assert.Equal(["k0", "k1", "k0"], first.Messages.Select(m => m.Key));
        Assert.Equal($"{_stream}@3", first.Messages[^1].Id);
        Assert.Equal("3", afterFirst);
        Assert.Equal([3, 4], rest.Messages.Select(Seq));
        Assert.Equal("5", source.Offset);
        Assert.Empty(none.Messages);
        Assert.False(none.EndOfStream);
    }

    [Fact]
    public async Task Seeking_to_an_offset_replays_exactly_what_came_after_it()
    {
        await server.CreateStreamAsync(_stream);
        await server.PublishAsync($"{_stream}.in", 6, 3);
        await using var source = new NatsJetStreamSource("events", server.Connection, _stream);
        await source.SeekAsync(null, CancellationToken.None);
        await source.ReadAsync(2, CancellationToken.None);
        var checkpointed = source.Offset;
        var after = await source.ReadAsync(10, CancellationToken.None);

        await using var replay = new NatsJetStreamSource("events", server.Connection, _stream);
        await replay.SeekAsync(checkpointed, CancellationToken.None);
        var again = await replay.ReadAsync(10, CancellationToken.None);

        Assert.Equal(after.Messages.Select(m => m.Id), again.Messages.Select(m => m.Id));
        Assert.Equal([2, 3, 4, 5], again.Messages.Select(Seq));
    }

    [Fact]
    public async Task A_filter_subject_reads_only_its_messages_and_a_bounded_source_ends_at_the_streams_end()
    {
        await server.CreateStreamAsync(_stream);
        await server.PublishAsync($"{_stream}.a", 3, 1);
        await server.PublishAsync($"{_stream}.b", 2, 1, from: 100);
        await server.PublishAsync($"{_stream}.a", 1, 1, from: 3);
        await using var source = new NatsJetStreamSource("events", server.Connection, _stream) { FilterSubject = $"{_stream}.a", StopAtEnd = true };
        await source.SeekAsync(null, CancellationToken.None);

        var all = await source.ReadAsync(100, CancellationToken.None);
        var end = await source.ReadAsync(100, CancellationToken.None);

        Assert.Equal([0, 1, 2, 3], all.Messages.Select(Seq));
        Assert.Equal("6", source.Offset);
        Assert.True(end.EndOfStream);
    }

    [Fact]
    public async Task A_bad_offset_a_payload_that_is_not_JSON_a_missing_stream_and_an_unreachable_server_are_StreamSourceExceptions()
    {
        await server.CreateStreamAsync(_stream);
        await server.JetStream.PublishAsync($"{_stream}.in", "{not json"u8.ToArray());
        await using var source = new NatsJetStreamSource("events", server.Connection, _stream);

        var offset = await Assert.ThrowsAsync<StreamSourceException>(async () => await source.SeekAsync("seven", CancellationToken.None));
        var payload = await Assert.ThrowsAsync<StreamSourceException>(async () => await source.ReadAsync(10, CancellationToken.None));
        await using var missing = new NatsJetStreamSource("events", server.Connection, "NO_SUCH_STREAM");
        var stream = await Assert.ThrowsAsync<StreamSourceException>(async () => await missing.ReadAsync(10, CancellationToken.None));

        Assert.Contains("is not a JetStream stream sequence", offset.Message, StringComparison.Ordinal);
        Assert.Contains($"message {_stream}@1 is not JSON", payload.Message, StringComparison.Ordinal);
        Assert.Contains("has no stream 'NO_SUCH_STREAM'", stream.Message, StringComparison.Ordinal);
        Assert.Null(source.Offset);

        await using var unreachable = new NatsJetStreamSource("events", NatsServer.UnreachableUrl(), _stream);
        var refused = await Assert.ThrowsAsync<StreamSourceException>(async () => await unreachable.ReadAsync(10, CancellationToken.None));
        Assert.Contains("cannot read JetStream stream", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_durable_consumer_acknowledges_up_to_a_completed_checkpoints_offset_and_a_reader_without_a_checkpoint_goes_on_from_there()
    {
        await server.CreateWorkQueueStreamAsync(_stream);
        await ReadTwoBatchesAndAcknowledgeAsync("3");
        var consumer = await server.JetStream.GetConsumerAsync(_stream, "events-reader");
        var stream = await server.JetStream.GetStreamAsync(_stream);

        var rest = await ReadAfterAsync(null);

        // A work-queue stream: each message up to the offset acknowledged, and deleted by the stream.
        Assert.Equal(3ul, consumer.Info.AckFloor!.StreamSeq);
        Assert.Equal(3L, stream.Info.State.Messages);
        Assert.Equal([3, 4, 5], rest.Messages.Select(Seq));
    }

    [Fact]
    public async Task On_a_limits_stream_one_acknowledgement_covers_the_batches_up_to_the_offset_and_a_checkpoints_offset_wins_over_the_consumers()
    {
        await server.CreateStreamAsync(_stream);
        await ReadTwoBatchesAndAcknowledgeAsync("3");
        var consumer = await server.JetStream.GetConsumerAsync(_stream, "events-reader");
        var afterFloor = await ReadAfterAsync(null);
        var afterCheckpoint = await ReadAfterAsync("4");

        // Batches end at 2 and 4: an offset of 3 acknowledges the first batch ("ack all" on message 2), never past the offset.
        Assert.Equal(2ul, consumer.Info.AckFloor!.StreamSeq);
        Assert.Equal([2, 3, 4, 5], afterFloor.Messages.Select(Seq));
        Assert.Equal([4, 5], afterCheckpoint.Messages.Select(Seq));
        Assert.Equal(6L, (await server.JetStream.GetStreamAsync(_stream)).Info.State.Messages);
    }

    [Fact]
    public async Task A_durable_consumer_on_an_interest_stream_is_refused_with_the_reason()
    {
        await server.JetStream.CreateStreamAsync(new NATS.Client.JetStream.Models.StreamConfig(_stream, [$"{_stream}.>"]) { Retention = NATS.Client.JetStream.Models.StreamConfigRetention.Interest });
        await using var source = new NatsJetStreamSource("events", server.Connection, _stream) { DurableConsumer = "events-reader" };

        var refused = await Assert.ThrowsAsync<StreamSourceException>(async () => await source.SeekAsync(null, CancellationToken.None));

        Assert.Contains("keeps messages while consumers are interested", refused.Message, StringComparison.Ordinal);
        Assert.Contains("use limits or work-queue retention", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_durable_consumer_another_reader_made_again_fails_the_first_reader_with_a_StreamSourceException()
    {
        await server.CreateStreamAsync(_stream);
        await server.PublishAsync($"{_stream}.in", 4, 2);
        await using var first = new NatsJetStreamSource("events", server.Connection, _stream) { DurableConsumer = "events-owner" };
        await first.SeekAsync(null, CancellationToken.None);
        var read = await first.ReadAsync(2, CancellationToken.None);

        await using var takeover = new NatsJetStreamSource("events", server.Connection, _stream) { DurableConsumer = "events-owner" };
        await takeover.SeekAsync("1", CancellationToken.None);
        var taken = await takeover.ReadAsync(10, CancellationToken.None);
        await server.PublishAsync($"{_stream}.in", 2, 2, from: 4);
        var refused = await Assert.ThrowsAsync<StreamSourceException>(async () => await first.ReadAsync(10, CancellationToken.None));

        Assert.Equal([0, 1], read.Messages.Select(Seq));
        Assert.Equal([1, 2, 3], taken.Messages.Select(Seq));
        Assert.Contains("durable consumer 'events-owner'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Another process reads this input now", refused.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new NatsJetStreamSource("events", server.Connection, _stream) { DurableConsumer = "no spaces" });
    }

    // Six messages published; a reader through the durable consumer "events-reader" reads batches of 2 and 2, then acknowledges up to the offset.
    private async Task ReadTwoBatchesAndAcknowledgeAsync(string offset)
    {
        await server.PublishAsync($"{_stream}.in", 6, 2);
        await using var source = new NatsJetStreamSource("events", server.Connection, _stream) { DurableConsumer = "events-reader" };
        await source.SeekAsync(null, CancellationToken.None);
        await source.ReadAsync(2, CancellationToken.None);
        await source.ReadAsync(2, CancellationToken.None);
        await source.AcknowledgeAsync(offset, CancellationToken.None);
    }

    // A new reader through "events-reader", from the offset (null: no checkpoint), and what it reads.
    private async Task<SourceBatch> ReadAfterAsync(string? offset)
    {
        await using var source = new NatsJetStreamSource("events", server.Connection, _stream) { DurableConsumer = "events-reader" };
        await source.SeekAsync(offset, CancellationToken.None);
        return await source.ReadAsync(10, CancellationToken.None);
    }
}
