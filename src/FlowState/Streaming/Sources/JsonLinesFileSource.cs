using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FlowState.Streaming;

/// <summary>
/// Reads a file line by line; the offset is the byte position after the last line returned, so a checkpoint can send
/// the source back to exactly where it was. A bounded source ends at the end of the file (an unterminated last line
/// counts as a line); a following source waits for more lines to be appended.
/// </summary>
public sealed class JsonLinesFileSource : ISource
{
    private const int ChunkSize = 1 << 16;
    private readonly string _path;
    private FileStream? _stream;
    private byte[] _buffer = new byte[ChunkSize];
    private int _start;
    private int _end;
    private long _position;

    /// <summary>Reads <paramref name="path"/>.</summary>
    public JsonLinesFileSource(string name, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Name = name;
        _path = Path.GetFullPath(path);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>How lines are read; JSON by default.</summary>
    public JsonLinesFileFormat Format { get; init; } = JsonLinesFileFormat.Json;

    /// <summary>The JSON property whose value is the message key (JSON format only); null: messages have no key.</summary>
    public string? KeyField { get; init; }

    /// <summary>
    /// The JSON property whose value is the message id (JSON format only), for inputs that carry their own event ids so
    /// that <see cref="ExactlyOnceProcessor"/> can drop a resent event; null, or missing in a line: <c>{name}@{byte offset}</c>.
    /// </summary>
    public string? IdField { get; init; }

    /// <summary>
    /// The JSON property with each message's event time (an ISO 8601 string, or milliseconds since the Unix epoch; JSON
    /// format only), which becomes its <see cref="StreamMessage.Timestamp"/> — what watermarks and event-time windows go
    /// by; null, or missing in a line: the time it was read.
    /// </summary>
    public string? TimeField { get; init; }

    /// <summary>True to wait for appended lines at the end of the file instead of ending.</summary>
    public bool Follow { get; init; }

    /// <summary>The clock that stamps the messages read (<see cref="StreamMessage.Timestamp"/>); inject a fake one in tests.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <inheritdoc />
    public string? Offset => _position == 0 ? null : _position.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public ValueTask SeekAsync(string? offset, CancellationToken cancellationToken)
    {
        long position = 0;
        if (offset is not null && (!long.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out position)))
        {
            throw new StreamSourceException($"Source '{Name}': '{offset}' is not a byte offset of '{_path}'.");
        }

        var stream = Open();
        if (position > stream.Length)
        {
            throw new StreamSourceException(
                $"Source '{Name}': the checkpoint's offset {position} is past the end of '{_path}' ({stream.Length} bytes); the file was truncated or replaced since.");
        }

        stream.Position = position;
        _position = position;
        _start = _end = 0;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<SourceBatch> ReadAsync(int maxMessages, CancellationToken cancellationToken)
    {
        var stream = _stream ?? Open();
        var messages = new List<StreamMessage>(Math.Min(maxMessages, 1024));
        var endOfFile = false;
        while (messages.Count < maxMessages)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (endOfFile)
                {
                    break;
                }

                if (!await FillAsync(stream, cancellationToken).ConfigureAwait(false))
                {
                    endOfFile = true;
                    if (Follow || _end == _start)
                    {
                        break;
                    }

                    // The last line of a bounded file needs no line end.
                    AddLine(messages, _end - _start, 0);
                }

                continue;
            }

            AddLine(messages, newline, 1);
        }

        return new SourceBatch(messages, endOfFile && !Follow && _end == _start);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stream is not null)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _stream = null;
        }
    }

    private FileStream Open()
    {
        if (_stream is not null)
        {
            return _stream;
        }

        try
        {
            _stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            return _stream;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new StreamSourceException($"Source '{Name}' cannot open '{_path}': {ex.Message}", ex);
        }
    }

    private async ValueTask<bool> FillAsync(FileStream stream, CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }

    private void AddLine(List<StreamMessage> messages, int length, int terminator)
    {
        var line = _buffer.AsSpan(_start, length);
        var lineStart = _position;
        _start += length + terminator;
        _position += length + terminator;
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line.Trim(" \t"u8).IsEmpty)
        {
            return;
        }

        var id = string.Create(CultureInfo.InvariantCulture, $"{Name}@{lineStart}");
        if (Format == JsonLinesFileFormat.Text)
        {
            messages.Add(new StreamMessage(null, JsonSerializer.SerializeToElement(Encoding.UTF8.GetString(line)), id, TimeProvider.GetUtcNow()));
            return;
        }

        JsonElement value;
        try
        {
            var reader = new Utf8JsonReader(line);
            value = JsonElement.ParseValue(ref reader);
            if (reader.Read())
            {
                throw new JsonException("there is more after the value");
            }
        }
        catch (JsonException ex)
        {
            throw new StreamSourceException($"Source '{Name}': the line at byte {lineStart} of '{_path}' is not JSON ({ex.Message}). Fix or remove that line; everything before it was read.", ex);
        }

        var time = EventTimeField.Read(value, TimeField, problem => new StreamSourceException($"Source '{Name}': the line at byte {lineStart} of '{_path}' has no usable time: {problem}. Fix that line; everything before it was read.")) ?? TimeProvider.GetUtcNow();
        messages.Add(new StreamMessage(Field(value, KeyField), value, Field(value, IdField) ?? id, time));
    }

    private static string? Field(JsonElement value, string? name)
    {
        if (name is null || value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out var key))
        {
            return null;
        }

        return key.ValueKind switch
        {
            JsonValueKind.String => key.GetString(),
            JsonValueKind.Null => null,
            _ => key.GetRawText(),
        };
    }
}
