using System.Text.Json;
using System.Text.RegularExpressions;
using FlowState.Streaming;
using StackExchange.Redis;

namespace FlowState.Redis;

/// <summary>
/// Reads a Redis stream (<c>XRANGE key (last-id + COUNT n</c>) with stream ids as offsets, so a checkpoint can send it
/// back to exactly the entry after the one it had reached. Each entry becomes a message whose value is an object of
/// the entry's fields (or the JSON in <see cref="ValueField"/>), whose id is the stream id and whose key is the field
/// <see cref="KeyField"/>. Entries are never acknowledged or deleted: the stream's retention is its owner's business.
/// </summary>
public sealed partial class RedisStreamSource : ISource
{
    private readonly IConnectionMultiplexer _connection;
    private readonly bool _ownsConnection;
    private readonly RedisKey _stream;
    private string? _lastId;

    /// <summary>Reads <paramref name="stream"/> through <paramref name="connection"/> (not disposed by the source).</summary>
    public RedisStreamSource(string name, IConnectionMultiplexer connection, string stream)
        : this(name, connection, stream, ownsConnection: false)
    {
    }

    /// <summary>Connects to <paramref name="configuration"/> (StackExchange.Redis syntax, e.g. <c>127.0.0.1:6379</c>).</summary>
    /// <exception cref="StreamSourceException">The server cannot be reached.</exception>
    public RedisStreamSource(string name, string configuration, string stream)
        : this(name, Connect(name, configuration), stream, ownsConnection: true)
    {
    }

    private RedisStreamSource(string name, IConnectionMultiplexer connection, string stream, bool ownsConnection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        Name = name;
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _ownsConnection = ownsConnection;
        _stream = stream;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The field whose value is the message key; null: messages have no key.</summary>
    public string? KeyField { get; init; }

    /// <summary>A field holding the whole value as JSON; null: the value is an object of every field (strings).</summary>
    public string? ValueField { get; init; }

    /// <summary>True to end when the stream has no more entries (a bounded run); by default the source waits for new ones.</summary>
    public bool StopAtEnd { get; init; }

    /// <summary>The clock that stamps an entry whose id carries no time (ids are normally <c>milliseconds-sequence</c>); inject a fake one in tests.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <inheritdoc />
    public string? Offset => _lastId;

    /// <inheritdoc />
    public ValueTask SeekAsync(string? offset, CancellationToken cancellationToken)
    {
        if (offset is not null && !StreamId().IsMatch(offset))
        {
            throw new StreamSourceException($"Source '{Name}': '{offset}' is not a Redis stream id (milliseconds-sequence).");
        }

        _lastId = offset;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken)
    {
        StreamEntry[] entries;
        try
        {
            entries = await _connection.GetDatabase().StreamRangeAsync(_stream, _lastId is null ? "-" : "(" + _lastId, "+", maxMessages).ConfigureAwait(false);
        }
        catch (RedisException ex)
        {
            throw new StreamSourceException($"Source '{Name}' cannot read the Redis stream '{_stream}': {ex.Message}", ex);
        }

        if (entries.Length == 0)
        {
            return StopAtEnd ? SourceBatch.End : SourceBatch.Empty;
        }

        var messages = new List<StreamMessage>(entries.Length);
        foreach (var entry in entries)
        {
            var id = entry.Id.ToString();
            messages.Add(new StreamMessage(KeyOf(entry), ValueOf(entry, id), id, TimeOf(id)));
            _lastId = id;
        }

        return new SourceBatch(messages, false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static ConnectionMultiplexer Connect(string name, string configuration)
    {
        try
        {
            return ConnectionMultiplexer.Connect(configuration);
        }
        catch (RedisConnectionException ex)
        {
            throw new StreamSourceException($"Source '{name}' cannot connect to Redis at '{configuration}': {ex.Message}", ex);
        }
    }

    private string? KeyOf(StreamEntry entry)
    {
        if (KeyField is null)
        {
            return null;
        }

        var key = entry[KeyField];
        return key.IsNull ? null : key.ToString();
    }

    private JsonElement ValueOf(StreamEntry entry, string id)
    {
        if (ValueField is not null)
        {
            var raw = entry[ValueField];
            try
            {
                return raw.IsNull
                    ? throw new JsonException($"the entry has no field '{ValueField}'")
                    : JsonSerializer.Deserialize<JsonElement>(raw.ToString());
            }
            catch (JsonException ex)
            {
                throw new StreamSourceException($"Source '{Name}': the field '{ValueField}' of entry {id} of stream '{_stream}' is not JSON ({ex.Message}).", ex);
            }
        }

        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var field in entry.Values)
        {
            fields[field.Name.ToString()] = field.Value.IsNull ? null : field.Value.ToString();
        }

        return JsonSerializer.SerializeToElement(fields);
    }

    private DateTimeOffset TimeOf(string id) =>
        long.TryParse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), out var milliseconds)
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : TimeProvider.GetUtcNow();

    [GeneratedRegex("^[0-9]+-[0-9]+$")]
    private static partial Regex StreamId();
}
