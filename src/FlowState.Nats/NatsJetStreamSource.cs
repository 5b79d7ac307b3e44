using System.Globalization;
using System.Text.Json;
using FlowState.Streaming;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace FlowState.Nats;

/// <summary>
/// Reads a JetStream stream in order, its stream sequence as the offset, so a checkpoint sends it back to exactly the
/// message after the one it had reached — the position lives in the pipeline's checkpoints. Each message becomes a
/// <see cref="StreamMessage"/> whose value is the message's JSON payload, whose id is <c>{stream}@{sequence}</c>, whose
/// key is the header <see cref="KeyHeader"/> and whose time is when JetStream stored it.
/// </summary>
/// <remarks>
/// By default it reads through an ephemeral pull consumer and acknowledges nothing: the stream's retention is its
/// owner's business. With <see cref="DurableConsumer"/> it reads through that durable consumer and acknowledges
/// messages once the checkpoint holding their position is complete and its output committed, so a work-queue stream
/// deletes them then and <c>nats consumer info</c> shows how far the pipeline got for good. The checkpoint still
/// decides where reading goes on: the consumer is made again at that position when the pipeline recovers, and at its
/// acknowledgement floor when there is no checkpoint. One reader per durable consumer: when another process makes it
/// again (it took over this input) or reads from it, reading fails with a <see cref="StreamSourceException"/>.
/// </remarks>
public sealed class NatsJetStreamSource : IAcknowledgingSource
{
    private readonly JetStreamConnection _connection;
    private readonly NatsJSContext _jetStream;
    private readonly string _stream;
    private static readonly byte[] AckPayload = "+ACK"u8.ToArray();
    private readonly Lock _acknowledgeLock = new();

    // What is read and not acknowledged yet, oldest first, as (stream sequence, reply subject) — the subject, not the
    // message, so payloads are not kept until the checkpoint: every message on a work-queue stream, else the last of
    // each batch ("ack all" on the newest at or before a completed checkpoint's offset covers everything up to it).
    private readonly Queue<(ulong Sequence, string ReplyTo)> _unacknowledged = new();
    private JetStreamReader? _reader;

    /// <summary>Reads <paramref name="stream"/> through <paramref name="connection"/> (not disposed by the source).</summary>
    public NatsJetStreamSource(string name, INatsConnection connection, string stream)
        : this(name, JetStreamConnection.Borrowed(connection), stream)
    {
    }

    /// <summary>Connects to the NATS server at <paramref name="url"/> (e.g. <c>nats://127.0.0.1:4222</c>) when it first reads.</summary>
    public NatsJetStreamSource(string name, string url, string stream)
        : this(name, JetStreamConnection.Owned(url, $"flowstate-source-{name}"), stream)
    {
    }

    private NatsJetStreamSource(string name, JetStreamConnection connection, string stream)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        Name = name;
        _connection = connection;
        _jetStream = connection.JetStream;
        _stream = stream;
    }

    /// <inheritdoc />
    public string Name { get; }

    private JetStreamReader Reader => _reader ??= new JetStreamReader(
        _jetStream,
        _stream,
        FilterSubject,
        DurableConsumer is null ? null : new JetStreamDurableConsumer(DurableConsumer, AckWait));

    /// <summary>
    /// The durable consumer to read through, acknowledging what completed checkpoints hold (made or replaced on the
    /// server; letters, digits, <c>-</c> and <c>_</c>); null: an ephemeral consumer, nothing acknowledged.
    /// </summary>
    public string? DurableConsumer
    {
        get;
        init
        {
            if (value is not null && !NatsNames.IsValid(value))
            {
                throw new ArgumentException(NatsNames.Problem(value, "durable consumer"), nameof(value));
            }

            field = value;
        }
    }

    /// <summary>
    /// How long JetStream waits for the acknowledgement of a message read through <see cref="DurableConsumer"/> before
    /// it delivers it again (the source skips what it read already); longer than the checkpoint interval keeps
    /// redeliveries away. Default 5 minutes.
    /// </summary>
    public TimeSpan AckWait { get; init; } = DefaultAckWait;

    internal static TimeSpan DefaultAckWait { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Reads only messages of this subject (wildcards allowed); null: every message of the stream.</summary>
    public string? FilterSubject { get; init; }

    /// <summary>The header whose value is the message key (the one <see cref="NatsJetStreamSink"/> writes); null or absent: no key.</summary>
    public string? KeyHeader { get; init; } = NatsJetStreamSink.DefaultKeyHeader;

    /// <summary>True to end once every message the stream held when the source caught up was read (a bounded run); by default the source waits for new ones.</summary>
    public bool StopAtEnd { get; init; }

    /// <inheritdoc />
    public string? Offset => Reader.LastSequence == 0 ? null : Reader.LastSequence.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public async ValueTask SeekAsync(string? offset, CancellationToken cancellationToken)
    {
        ulong sequence = 0;
        if (offset is not null && (!ulong.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out sequence) || sequence == 0))
        {
            throw new StreamSourceException($"Source '{Name}': '{offset}' is not a JetStream stream sequence (a positive whole number).");
        }

        lock (_acknowledgeLock)
        {
            _unacknowledged.Clear();
        }

        try
        {
            await Reader.SeekAsync(offset is null ? null : sequence, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            throw new StreamSourceException($"Source '{Name}': JetStream has no stream '{_stream}' ({ex.Error.Description}). Create the stream, or name an existing one.", ex);
        }
        catch (NatsException ex)
        {
            throw new StreamSourceException($"Source '{Name}' cannot read JetStream stream '{_stream}': {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask AcknowledgeAsync(string offset, CancellationToken cancellationToken)
    {
        if (DurableConsumer is null || !ulong.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return;
        }

        var due = new List<string>();
        lock (_acknowledgeLock)
        {
            while (_unacknowledged.TryPeek(out var read) && read.Sequence <= sequence)
            {
                due.Add(_unacknowledged.Dequeue().ReplyTo);
            }
        }

        if (due.Count == 0)
        {
            return;
        }

        // JetStream's acknowledgement protocol: "+ACK" to the message's reply subject. In order on one connection, so the
        // last one, sent as a request the server answers, confirms them all: once a checkpoint completed, a work-queue
        // stream has let go of what it holds.
        var connection = _connection.Connection;
        var each = Reader.AcknowledgesEach ? due.Count - 1 : 0;
        for (var i = 0; i < each; i++)
        {
            await connection.PublishAsync(due[i], AckPayload, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        await connection.RequestAsync<byte[], byte[]>(due[^1], AckPayload, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        var messages = new List<StreamMessage>();
        try
        {
            var position = Reader.LastSequence;
            var read = await Reader.ReadAsync(maxMessages, cancellationToken).ConfigureAwait(false);
            if (DurableConsumer is not null && read.Count + Reader.Skipped.Count > 0)
            {
                lock (_acknowledgeLock)
                {
                    IEnumerable<INatsJSMsg<byte[]>> due = Reader.AcknowledgesEach ? Reader.Skipped.Concat(read) : read.Count > 0 ? read[^1..] : [];
                    foreach (var message in due)
                    {
                        _unacknowledged.Enqueue((message.Metadata!.Value.Sequence.Stream, message.ReplyTo!));
                    }
                }
            }

            try
            {
                foreach (var message in read)
                {
                    var metadata = message.Metadata ?? throw new StreamSourceException($"Source '{Name}': a message of stream '{_stream}' came without its JetStream metadata.");
                    var id = $"{_stream}@{metadata.Sequence.Stream.ToString(CultureInfo.InvariantCulture)}";
                    messages.Add(new StreamMessage(KeyOf(message.Headers), ValueOf(message.Data, id), id, metadata.Timestamp));
                }
            }
            catch (StreamSourceException)
            {
                // A message the pipeline cannot take: the offset stays before this batch, so nothing is skipped silently.
                await Reader.SeekAsync(position, CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            if (messages.Count == 0 && StopAtEnd)
            {
                var stream = await _jetStream.GetStreamAsync(_stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (stream.Info.State.LastSeq <= Reader.LastSequence)
                {
                    return SourceBatch.End;
                }
            }
        }
        catch (JetStreamConsumerTakenException ex)
        {
            throw new StreamSourceException(
                $"Source '{Name}': {ex.Message}. Another process reads this input now (it took it over), so this pipeline stops here; when it runs again it recovers from its last checkpoint.",
                ex);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            throw new StreamSourceException($"Source '{Name}': JetStream has no stream '{_stream}' ({ex.Error.Description}). Create the stream, or name an existing one.", ex);
        }
        catch (NatsException ex)
        {
            throw new StreamSourceException($"Source '{Name}' cannot read JetStream stream '{_stream}': {ex.Message}", ex);
        }

        return messages.Count == 0 ? SourceBatch.Empty : new SourceBatch(messages, false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_reader is not null)
        {
            await _reader.DisposeAsync().ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private string? KeyOf(NatsHeaders? headers) =>
        KeyHeader is not null && headers is not null && headers.TryGetValue(KeyHeader, out var key) ? key.ToString() : null;

    private JsonElement ValueOf(byte[]? data, string id)
    {
        try
        {
            return JsonElement.Parse(data ?? []);
        }
        catch (JsonException ex)
        {
            throw new StreamSourceException($"Source '{Name}': message {id} is not JSON ({ex.Message}). Publish JSON payloads to the stream, or filter this subject out (FilterSubject).", ex);
        }
    }
}
