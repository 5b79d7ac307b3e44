using System.Text;
using FlowState.Streaming;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace FlowState.Nats;

/// <summary>
/// At-least-once output to a JetStream subject: messages are published as they are written, and every checkpoint
/// barrier waits until JetStream acknowledged all of them, so a completed checkpoint never covers output that was not
/// stored. After a recovery, what was published after the restored checkpoint is published again (duplicates, not
/// losses). Cheaper than <see cref="NatsJetStreamSink"/>, which stages each epoch and copies it once its checkpoint
/// completes; the headers are the same (<c>FlowState-Key</c>, <c>FlowState-Id</c>).
/// </summary>
public sealed class NatsJetStreamPublishSink : ISink
{
    private readonly JetStreamConnection _connection;
    private readonly JetStreamPublisher _publisher;

    /// <summary>Publishes to <paramref name="subject"/> through <paramref name="connection"/> (not disposed by the sink).</summary>
    public NatsJetStreamPublishSink(string name, INatsConnection connection, string subject)
        : this(name, JetStreamConnection.Borrowed(connection), subject)
    {
    }

    /// <summary>Connects to the NATS server at <paramref name="url"/> (e.g. <c>nats://127.0.0.1:4222</c>) when it first writes.</summary>
    public NatsJetStreamPublishSink(string name, string url, string subject)
        : this(name, JetStreamConnection.Owned(url, $"flowstate-sink-{name}"), subject)
    {
    }

    private NatsJetStreamPublishSink(string name, JetStreamConnection connection, string subject)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        JetStreamPublisher.ValidateSubject(subject);
        Name = name;
        Subject = subject;
        _connection = connection;
        _publisher = new JetStreamPublisher(connection.JetStream, name, duplicatesExpected: false);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The subject messages are published to; a stream must capture it.</summary>
    public string Subject { get; }

    /// <summary>The header a message's key is written to (null: keys are not written).</summary>
    public string? KeyHeader { get; init; } = NatsJetStreamSink.DefaultKeyHeader;

    /// <inheritdoc />
    public async ValueTask WriteAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            await _publisher.PublishAsync(Subject, Encoding.UTF8.GetBytes(message.Value.GetRawText()), JetStreamPublisher.HeadersOf(message, KeyHeader, epoch: null), msgId: null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken) => _publisher.AwaitAllAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _publisher.DiscardAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
