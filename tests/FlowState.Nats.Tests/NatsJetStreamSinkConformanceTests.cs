using System.Text;
using FlowState.Streaming;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Xunit;

namespace FlowState.Nats.Tests;

/// <summary>The two-phase-commit sink suite on a real JetStream server (staging stream, message-id deduplication).</summary>
[Collection(SharedNatsServer.Name)]
public sealed class NatsJetStreamSinkConformanceTests(NatsServer server) : TwoPhaseCommitSinkConformanceTests
{
    private readonly string _stream = $"OUT{Guid.NewGuid():N}";
    private readonly string _sinkName = $"out-{Guid.NewGuid():N}";

    private string Subject => $"{_stream}.counts";

    public override async Task InitializeAsync() => await server.CreateStreamAsync(_stream);

    protected override TwoPhaseCommitSink CreateSink() => new NatsJetStreamSink(_sinkName, server.Connection, Subject);

    protected override async Task<IReadOnlyList<string>> ReadCommittedIdsAsync() =>
        [.. (await server.ReadAllAsync(_stream)).Select(m => m.Headers!["FlowState-Id"].ToString())];

    [Fact]
    public override async Task Removing_output_after_an_epoch_keeps_that_epoch_and_the_ones_before()
    {
        // A published JetStream message stays published: this sink cannot take output back, and says so.
        var sink = Sink();
        await sink.RecoverAsync([], CancellationToken.None);

        Assert.False(sink.CanRemoveCommittedOutput);
        await Assert.ThrowsAsync<NotSupportedException>(async () => await sink.RemoveCommittedAfterAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task A_commit_interrupted_between_the_copy_and_the_purge_is_repeated_by_recovery_without_duplicates()
    {
        var sink = Sink();
        await sink.RecoverAsync([], CancellationToken.None);
        sink.StartEpoch(1);
        await sink.WriteAsync([.. Enumerable.Range(0, 10).Select(i => StreamMessage.Create("k", i, id: $"m{i}"))], CancellationToken.None);
        var handle = (await sink.PreCommitEpochAsync(CancellationToken.None))!;
        var staged = (await server.ReadAllAsync("FLOWSTATE_STAGING")).Where(m => m.Subject.EndsWith(".epoch.1", StringComparison.Ordinal)).ToList();

        // What a crash between the copy and the purge leaves: the epoch on the target, and still staged.
        await sink.CommitAsync(handle, CancellationToken.None);
        foreach (var message in staged)
        {
            (await server.JetStream.PublishAsync(message.Subject, Encoding.UTF8.GetBytes(message.Payload), NatsRawSerializer<byte[]>.Default, headers: message.Headers)).EnsureSuccess();
        }

        await using TwoPhaseCommitSink restarted = new NatsJetStreamSink(_sinkName, server.Connection, Subject);
        restarted.AttachToPipeline(PipelineName);
        await restarted.RecoverAsync([handle], CancellationToken.None);

        Assert.Equal(10, staged.Count);
        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"m{i}")], await ReadCommittedIdsAsync());
        Assert.DoesNotContain(await server.ReadAllAsync("FLOWSTATE_STAGING"), m => m.Subject.EndsWith(".epoch.1", StringComparison.Ordinal) && m.Headers?["FlowState-Id"].ToString() == "m0");
    }

    [Fact]
    public async Task Keys_and_epochs_travel_in_headers_and_the_source_reads_the_keys_back()
    {
        var sink = Sink();
        await sink.RecoverAsync([], CancellationToken.None);
        sink.StartEpoch(3);
        await sink.WriteAsync([StreamMessage.Create("alice", new { n = 1 }, id: "a"), StreamMessage.Create("bob", new { n = 2 }, id: "b")], CancellationToken.None);
        await sink.CommitAsync((await sink.PreCommitEpochAsync(CancellationToken.None))!, CancellationToken.None);

        await using var source = new NatsJetStreamSource("back", server.Connection, _stream);
        var read = await source.ReadAsync(10, CancellationToken.None);

        Assert.Equal(["alice", "bob"], read.Messages.Select(m => m.Key));
        Assert.Equal([1, 2], read.Messages.Select(m => m.Value.GetProperty("n").GetInt32()));
        Assert.All(await server.ReadAllAsync(_stream), m => Assert.Equal("3", m.Headers!["FlowState-Epoch"].ToString()));
    }

    [Fact]
    public async Task Publishing_to_a_subject_no_stream_captures_is_a_StreamException_that_says_so()
    {
        await using TwoPhaseCommitSink sink = new NatsJetStreamSink(_sinkName, server.Connection, $"nowhere-{Guid.NewGuid():N}");
        sink.AttachToPipeline(PipelineName);
        await sink.RecoverAsync([], CancellationToken.None);
        sink.StartEpoch(1);
        await sink.WriteAsync([StreamMessage.Create("k", 1, id: "x")], CancellationToken.None);
        var handle = (await sink.PreCommitEpochAsync(CancellationToken.None))!;

        var error = await Assert.ThrowsAsync<StreamException>(async () => await sink.CommitAsync(handle, CancellationToken.None));

        Assert.Contains("no JetStream stream captures the subject", error.Message, StringComparison.Ordinal);
    }
}
