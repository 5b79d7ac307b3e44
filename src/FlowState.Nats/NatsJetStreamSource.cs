using System.Globalization;
using System.Text.Json;
using FlowState.Streaming;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace FlowState.Nats;

/// <summary>
/// Reads a JetStream stream in order (an ephemeral pull consumer without acknowledgements), its stream sequence as the offset, so a checkpoint sends
/// it back to exactly the message after the one it had reached — the position lives in the pipeline's checkpoints, not
/// in a durable consumer on the server. Each message becomes a <see cref="StreamMessage"/> whose value is the message's
/// JSON payload, whose id is <c>{stream}@{sequence}</c>, whose key is the header <see cref="KeyHeader"/> and whose time is
/// when JetStream stored it. Messages are never acknowledged or deleted: the stream's retention is its owner's business.
/// </summary>
public sealed class NatsJetStreamSource : ISource
{
    private readonly JetStreamConnection _connection;
    private readonly NatsJSContext _jetStream;
    private readonly string _stream;
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

    private JetStreamReader Reader => _reader ??= new JetStreamReader(_jetStream, _stream, FilterSubject);

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

        await Reader.SeekAsync(sequence).ConfigureAwait(false);
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
                await Reader.SeekAsync(position).ConfigureAwait(false);
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
