using FlowState.Streaming;
using Xunit;

namespace FlowState.Nats.Tests;

/// <summary>The at-least-once JetStream sink: published as written, every message stored once a flush returns.</summary>
[Collection(SharedNatsServer.Name)]
public sealed class NatsJetStreamPublishSinkTests(NatsServer server)
{
    private readonly string _stream = $"PUB{Guid.NewGuid():N}";

    [Fact]
    public async Task Messages_are_stored_in_order_with_their_keys_and_ids_once_a_flush_returns()
    {
        await server.CreateStreamAsync(_stream);
        await using var sink = new NatsJetStreamPublishSink("out", server.Connection, $"{_stream}.out");

        await sink.WriteAsync([.. Enumerable.Range(0, 1500).Select(i => StreamMessage.Create($"k{i % 3}", new { i }, id: $"m{i}"))], CancellationToken.None);
        await sink.FlushAsync(CancellationToken.None);
        var stored = await server.ReadAllAsync(_stream);

        Assert.Equal([.. Enumerable.Range(0, 1500).Select(i => $"m{i}")], stored.Select(m => m.Headers!["FlowState-Id"].ToString()));
        Assert.Equal([.. Enumerable.Range(0, 1500).Select(i => $"k{i % 3}")], stored.Select(m => m.Headers!["FlowState-Key"].ToString()));
        Assert.Equal("""{"i":7}""", stored[7].Payload);
    }

    [Fact]
    public async Task A_subject_no_stream_captures_fails_the_flush_and_a_wildcard_subject_is_refused_at_once()
    {
        await using var sink = new NatsJetStreamPublishSink("out", server.Connection, $"nowhere-{Guid.NewGuid():N}");
        await sink.WriteAsync([StreamMessage.Create("k", 1)], CancellationToken.None);

        var error = await Assert.ThrowsAsync<StreamException>(async () => await sink.FlushAsync(CancellationToken.None));

        Assert.Contains("no JetStream stream captures the subject", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new NatsJetStreamPublishSink("out", server.Connection, "out.>"));
    }
}
