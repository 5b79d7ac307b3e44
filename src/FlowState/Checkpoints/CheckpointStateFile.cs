using System.Security.Cryptography;
using System.Text.Json;

namespace FlowState.Checkpoints;

/// <summary>
/// One processor partition's state in a checkpoint, as JSON lines: a header, one line per entry
/// (<c>{"s":scope,"k":key,"v":value,"e":expiresAtTicks,"t":ttlTicks,"l":sliding}</c>) or tombstone
/// (<c>{"s":scope,"k":key,"d":true}</c>), and a trailer with the count and the SHA-256 of every byte before it.
/// </summary>
internal static class CheckpointStateFile
{
    public const string Format = "flowstate-checkpoint-state";
    private static readonly byte[] ScopeName = "s"u8.ToArray();

    /// <summary>An entry to write, or a tombstone when <see cref="BackendEntry"/> is null.</summary>
    public readonly record struct Item(string ScopeKey, string Key, BackendEntry? Entry);

    public static byte[] Write(IReadOnlyCollection<Item> items, string processor, int partition, bool incremental)
    {
        var buffer = new MemoryStream(64 + (items.Count * 64));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var writer = new Utf8JsonWriter(buffer);
        var start = 0L;
        void EndLine()
        {
            writer.Flush();
            buffer.WriteByte((byte)'\n');
            hash.AppendData(buffer.GetBuffer(), (int)start, (int)(buffer.Length - start));
            start = buffer.Length;
            writer.Reset(buffer);
        }

        writer.WriteStartObject();
        writer.WriteString("format", Format);
        writer.WriteNumber("version", 1);
        writer.WriteString("processor", processor);
        writer.WriteNumber("partition", partition);
        writer.WriteBoolean("incremental", incremental);
        writer.WriteEndObject();
        EndLine();
        foreach (var item in items)
        {
            writer.WriteStartObject();
            writer.WriteString(ScopeName, item.ScopeKey);
            writer.WriteString("k"u8, item.Key);
            if (item.Entry is { } entry)
            {
                writer.WritePropertyName("v"u8);
                writer.WriteRawValue(entry.Value, skipInputValidation: true);
                if (entry.ExpiresAtUtcTicks != 0)
                {
                    writer.WriteNumber("e"u8, entry.ExpiresAtUtcTicks);
                    writer.WriteNumber("t"u8, entry.TimeToLiveTicks);
                    writer.WriteBoolean("l"u8, entry.Sliding);
                }
            }
            else
            {
                writer.WriteBoolean("d"u8, true);
            }

            writer.WriteEndObject();
            EndLine();
        }

        writer.WriteStartObject();
        writer.WriteBoolean("end", true);
        writer.WriteNumber("entries", items.Count);
        writer.WriteString("sha256", Convert.ToHexStringLower(hash.GetHashAndReset()));
        writer.WriteEndObject();
        writer.Flush();
        buffer.WriteByte((byte)'\n');
        writer.Dispose();
        return buffer.ToArray();
    }

    /// <summary>Hands each entry (or tombstone) of the file to <paramref name="read"/>, in file order.</summary>
    /// <exception cref="StateCorruptedException">The file is truncated, changed or not a state file.</exception>
    public static void Read(byte[] bytes, string where, Action<RestoredEntry> read)
    {
        var span = bytes.AsSpan();
        var lineNumber = 0;
        var position = 0;
        var entries = 0L;
        var bodyEnd = -1;
        var scopes = new ScopeNames();
        while (position < span.Length)
        {
            var length = span[position..].IndexOf((byte)'\n');
            if (length < 0)
            {
                throw Damaged(where, lineNumber + 1, "the last line has no line end (the file is truncated)");
            }

            var line = bytes.AsMemory(position, length);
            lineNumber++;
            if (lineNumber == 1)
            {
                CheckHeader(line.Span, where);
            }
            else if (line.Span.StartsWith("{\"end\""u8))
            {
                bodyEnd = position;
                CheckTrailer(line.Span, bytes.AsSpan(0, position), entries, where, lineNumber);
                if (position + length + 1 != span.Length)
                {
                    throw Damaged(where, lineNumber + 1, "there are lines after the trailer");
                }
            }
            else
            {
                ReadItem(line, read, scopes, where, lineNumber);
                entries++;
            }

            position += length + 1;
        }

        if (bodyEnd < 0)
        {
            throw Damaged(where, lineNumber, "the trailer is missing (the file is truncated)");
        }
    }

    private static void CheckHeader(ReadOnlySpan<byte> line, string where)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var header = JsonDocument.ParseValue(ref reader);
            if (!header.RootElement.TryGetProperty("format", out var format) || format.GetString() != Format)
            {
                throw Damaged(where, 1, $"the header does not name the format '{Format}'");
            }

            if (!header.RootElement.TryGetProperty("version", out var version) || version.GetInt32() != 1)
            {
                throw Damaged(where, 1, "it is of another format version; this FlowState reads version 1");
            }
        }
        catch (JsonException ex)
        {
            throw Damaged(where, 1, ex.Message);
        }
    }

    private static void CheckTrailer(ReadOnlySpan<byte> line, ReadOnlySpan<byte> body, long entries, string where, int lineNumber)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var trailer = JsonDocument.ParseValue(ref reader);
            if (trailer.RootElement.GetProperty("entries").GetInt64() != entries)
            {
                throw Damaged(where, lineNumber, $"the trailer announces {trailer.RootElement.GetProperty("entries").GetInt64()} entries but {entries} were read");
            }

            if (!string.Equals(trailer.RootElement.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(body)), StringComparison.Ordinal))
            {
                throw Damaged(where, lineNumber, "its SHA-256 does not match its content");
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw Damaged(where, lineNumber, ex.Message);
        }
    }

    private static void ReadItem(ReadOnlyMemory<byte> line, Action<RestoredEntry> read, ScopeNames scopes, string where, int lineNumber)
    {
        try
        {
            var reader = new Utf8JsonReader(line.Span);
            string? scope = null;
            string? key = null;
            byte[]? value = null;
            long expires = 0;
            long ttl = 0;
            var sliding = false;
            var deleted = false;
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("s"u8))
                {
                    scope = scopes.Get(ref reader);
                }
                else if (name.SequenceEqual("k"u8))
                {
                    key = reader.GetString();
                }
                else if (name.SequenceEqual("v"u8))
                {
                    var from = (int)reader.TokenStartIndex;
                    reader.Skip();
                    value = line.Span[from..(int)reader.BytesConsumed].ToArray();
                }
                else if (name.SequenceEqual("e"u8))
                {
                    expires = reader.GetInt64();
                }
                else if (name.SequenceEqual("t"u8))
                {
                    ttl = reader.GetInt64();
                }
                else if (name.SequenceEqual("l"u8))
                {
                    sliding = reader.GetBoolean();
                }
                else if (name.SequenceEqual("d"u8))
                {
                    deleted = reader.GetBoolean();
                }
                else
                {
                    reader.Skip();
                }
            }

            if (scope is null || key is null || (value is null && !deleted))
            {
                throw Damaged(where, lineNumber, "an entry line lacks its scope, key or value");
            }

            read(new RestoredEntry(scope, key, deleted ? null : value, expires, ttl, sliding));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw Damaged(where, lineNumber, ex.Message);
        }
    }

    private static StateCorruptedException Damaged(string where, int line, string problem) =>
        new($"The checkpoint state file '{where}' is damaged at line {line}: {problem}. Restore an older checkpoint or delete this one's manifest.");

    /// <summary>A file holds few scopes in many lines: each line's scope is decoded once and shared.</summary>
    private sealed class ScopeNames
    {
        private byte[] _lastBytes = [];
        private string? _last;

        public string? Get(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.HasValueSequence)
            {
                return reader.GetString();
            }

            if (_last is null || !reader.ValueSpan.SequenceEqual(_lastBytes))
            {
                _lastBytes = reader.ValueSpan.ToArray();
                _last = reader.GetString();
            }

            return _last;
        }
    }
}
