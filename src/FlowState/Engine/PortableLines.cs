using System.Security.Cryptography;
using System.Text.Json;

namespace FlowState;

/// <summary>
/// The JSON-lines layout shared by exports and catalog backups: a header line, body lines (entries, and in backups
/// deletions), and a trailer whose SHA-256 covers every byte before it.
/// </summary>
internal static class PortableLines
{
    /// <summary>Writes one JSON object as a line, adding its bytes to <paramref name="hash"/> (the trailer is not hashed).</summary>
    public static async Task WriteLineAsync(Stream destination, IncrementalHash? hash, MemoryStream buffer, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        buffer.SetLength(0);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        hash?.AppendData(buffer.GetBuffer(), 0, (int)buffer.Length);
        await destination.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The fields of an entry line: scope (storage key and display path), key, value, version and expiry.</summary>
    public static void WriteEntry(Utf8JsonWriter writer, BackendEntry entry, string path)
    {
        writer.WriteString("scope", entry.ScopeKey);
        writer.WriteString("path", path);
        writer.WriteString("key", entry.Key);
        writer.WritePropertyName("value");
        writer.WriteRawValue(entry.Value, skipInputValidation: true);
        writer.WriteNumber("version", entry.Version);
        writer.WriteNumber("expiresAtTicks", entry.ExpiresAtUtcTicks);
        writer.WriteNumber("ttlTicks", entry.TimeToLiveTicks);
        writer.WriteBoolean("sliding", entry.Sliding);
    }

    /// <summary>
    /// Splits <paramref name="bytes"/> into its lines (header, body, trailer), checks that the trailer is one with an
    /// <c>sha256</c> matching every byte before it, and returns the lines with the parsed trailer.
    /// </summary>
    public static (List<ReadOnlyMemory<byte>> Lines, JsonDocument Trailer) Split(ReadOnlyMemory<byte> bytes, string what, Func<int, string, StateCorruptedException> damaged)
    {
        var lines = new List<ReadOnlyMemory<byte>>();
        var start = 0;
        var span = bytes.Span;
        while (start < span.Length)
        {
            var end = span[start..].IndexOf((byte)'\n');
            if (end < 0)
            {
                throw damaged(lines.Count + 1, $"the last line has no line end (the {what} is truncated)");
            }

            lines.Add(bytes.Slice(start, end));
            start += end + 1;
        }

        if (lines.Count < 2)
        {
            throw damaged(lines.Count, $"a {what} has at least a header and a trailer line");
        }

        var checksum = Convert.ToHexStringLower(SHA256.HashData(span[..(start - lines[^1].Length - 1)]));
        var trailer = Parse(lines[^1], lines.Count, damaged);
        var root = trailer.RootElement;
        if (!root.TryGetProperty("end", out var ended) || ended.ValueKind != JsonValueKind.True
            || !root.TryGetProperty("sha256", out var sha) || sha.ValueKind != JsonValueKind.String)
        {
            trailer.Dispose();
            throw damaged(lines.Count, $"the last line is not the {what}'s trailer (the {what} is truncated)");
        }

        if (!string.Equals(sha.GetString(), checksum, StringComparison.Ordinal))
        {
            trailer.Dispose();
            throw damaged(lines.Count, $"the SHA-256 of the {what} does not match its trailer (the content was changed)");
        }

        return (lines, trailer);
    }

    /// <summary>Parses line <paramref name="number"/> (1-based) as JSON.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> line, int number, Func<int, string, StateCorruptedException> damaged)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw damaged(number, $"not JSON: {ex.Message}");
        }
    }

    /// <summary>
    /// Reads a body line: an entry written by <see cref="WriteEntry"/>, or (where <paramref name="deletions"/> allows)
    /// a deletion <c>{"scope":…,"path":…,"key":…,"deleted":true}</c>. One pass of a <see cref="Utf8JsonReader"/> over
    /// the line (which checks it is JSON); the value is sliced from the line as written. Unknown properties are skipped.
    /// </summary>
    /// <returns>The entry; null for a deletion (its scope and key in <paramref name="deleted"/>).</returns>
    public static BackendEntry? ReadBodyLine(ReadOnlySpan<byte> line, int number, bool deletions, out (string Scope, string Key) deleted, Func<int, string, StateCorruptedException> damaged)
    {
        string? scopeKey = null, key = null;
        byte[]? value = null;
        long? version = null, expires = null, ttl = null;
        bool? sliding = null;
        var isDeletion = false;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("the line is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "scope": scopeKey = reader.GetString(); break;
                    case "key": key = reader.GetString(); break;
                    case "version": version = reader.GetInt64(); break;
                    case "expiresAtTicks": expires = reader.GetInt64(); break;
                    case "ttlTicks": ttl = reader.GetInt64(); break;
                    case "sliding": sliding = reader.GetBoolean(); break;
                    case "deleted": isDeletion = reader.GetBoolean(); break;
                    case "value":
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        value = line[start..(int)reader.BytesConsumed].ToArray();
                        break;
                    default: reader.Skip(); break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new FormatException("the object is not closed");
            }

            _ = reader.Read(); // anything after the object is a JsonException
        }
        catch (JsonException ex)
        {
            throw damaged(number, $"not JSON: {ex.Message}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw damaged(number, $"not an entry: {ex.Message}");
        }

        var what = isDeletion ? "a deletion" : "an entry";
        if (isDeletion && !deletions)
        {
            throw damaged(number, "a deletion, which only a backup holds");
        }

        if (scopeKey is null || key is null)
        {
            throw damaged(number, $"not {what}: it has no {(scopeKey is null ? "scope" : "key")}");
        }

        try
        {
            _ = StateScope.FromStorageKey(scopeKey);
        }
        catch (FormatException ex)
        {
            throw damaged(number, $"not {what}: {ex.Message}");
        }

        if (StateNameValidator.FindProblem(key, "key") is { } problem)
        {
            throw damaged(number, $"not {what}: {problem}");
        }

        deleted = (scopeKey, key);
        if (isDeletion)
        {
            return null;
        }

        if (value is null || version is null || expires is null || ttl is null || sliding is null)
        {
            throw damaged(number, "not an entry: it lacks one of value, version, expiresAtTicks, ttlTicks, sliding");
        }

        return new BackendEntry(scopeKey, key, value, version.Value, expires.Value, ttl.Value, sliding.Value);
    }

    /// <summary>
    /// The write options that give an entry read back from a portable file the expiry it had: the time left (entries
    /// already expired are skipped by the caller), sliding if it was.
    /// </summary>
    public static StateWriteOptions? ExpiryOf(BackendEntry entry, long nowTicks) =>
        entry.ExpiresAtUtcTicks == 0
            ? null
            : new StateWriteOptions { TimeToLive = TimeSpan.FromTicks(entry.ExpiresAtUtcTicks - nowTicks), SlidingExpiration = entry.Sliding };

    /// <summary>The display path of each scope, computed once per run of entries of one scope (they come sorted by scope).</summary>
    internal sealed class ScopePaths
    {
        private string? _of;
        private string _path = string.Empty;

        /// <summary>The display path of the scope stored as <paramref name="scopeKey"/>.</summary>
        public string Of(string scopeKey)
        {
            if (!string.Equals(_of, scopeKey, StringComparison.Ordinal))
            {
                (_of, _path) = (scopeKey, StateScope.FromStorageKey(scopeKey).Path);
            }

            return _path;
        }
    }
}
