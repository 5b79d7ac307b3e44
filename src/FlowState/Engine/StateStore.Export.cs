using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FlowState;

// Export and import: a portable, versioned JSON-lines form of a store's state, readable by any store on any backend.
public sealed partial class StateStore
{
    /// <summary>The <c>format</c> field of an export's first line.</summary>
    public const string ExportFormat = "flowstate-export";

    /// <summary>The export format version this FlowState writes and reads.</summary>
    public const int ExportFormatVersion = 1;

    /// <summary>
    /// Writes every live entry of the store, at one point in time (a batch is in it whole or not at all), as JSON lines:
    /// a header <c>{"format":"flowstate-export","version":1,...}</c>, one line per entry (scope, key, value, version,
    /// expiry, time to live, sliding) and a trailer with the entry count and the SHA-256 of every byte before it.
    /// </summary>
    /// <returns>The number of entries written.</returns>
    public async Task<long> ExportAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ThrowIfDisposed();
        var entries = SnapshotEntries();
        entries.Sort((a, b) => string.CompareOrdinal(a.ScopeKey, b.ScopeKey) is var c && c != 0 ? c : string.CompareOrdinal(a.Key, b.Key));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new MemoryStream();
        await WriteLineAsync(destination, hash, buffer, writer =>
        {
            writer.WriteString("format", ExportFormat);
            writer.WriteNumber("version", ExportFormatVersion);
            writer.WriteString("created", _time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);
        var path = string.Empty;
        string? pathOf = null;
        foreach (var entry in entries)
        {
            if (!string.Equals(pathOf, entry.ScopeKey, StringComparison.Ordinal))
            {
                // Entries are sorted by scope: each scope's display path is computed once.
                (pathOf, path) = (entry.ScopeKey, StateScope.FromStorageKey(entry.ScopeKey).Path);
            }

            await WriteLineAsync(destination, hash, buffer, writer =>
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
            }, cancellationToken).ConfigureAwait(false);
        }

        var checksum = Convert.ToHexStringLower(hash.GetHashAndReset());
        await WriteLineAsync(destination, null, buffer, writer =>
        {
            writer.WriteBoolean("end", true);
            writer.WriteNumber("entries", entries.Count);
            writer.WriteString("sha256", checksum);
        }, cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        return entries.Count;
    }

    /// <summary>
    /// Reads an export written by <see cref="ExportAsync"/> (from any store, on any backend) and writes its entries
    /// into this store as one atomic batch. The whole input is checked first (format, version, every line, entry count,
    /// checksum); a damaged or truncated export writes nothing. Imported entries keep their values, scopes and
    /// expiry (entries already expired are skipped); they get new versions from this store, as any write does.
    /// </summary>
    /// <returns>The number of entries written.</returns>
    /// <exception cref="StateCorruptedException">The input is not a complete, intact export of a known version.</exception>
    public async Task<long> ImportAsync(Stream source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ThrowIfDisposed();
        var entries = await ReadExportAsync(source, cancellationToken).ConfigureAwait(false);
        var now = NowTicks();
        var batch = CreateBatch();
        var written = 0L;
        foreach (var (scope, entry) in entries)
        {
            if (entry.ExpiresAtUtcTicks != 0 && entry.ExpiresAtUtcTicks <= now)
            {
                continue;
            }

            var options = entry.ExpiresAtUtcTicks == 0
                ? null
                : new StateWriteOptions { TimeToLive = TimeSpan.FromTicks(entry.ExpiresAtUtcTicks - now), SlidingExpiration = entry.Sliding };
            batch.Within(scope).SetRaw(entry.Key, entry.Value, options);
            written++;
        }

        if (written > 0)
        {
            await ApplyAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        return written;
    }

    private static async Task WriteLineAsync(Stream destination, IncrementalHash? hash, MemoryStream buffer, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
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

    private static async Task<List<(StateScope Scope, BackendEntry Entry)>> ReadExportAsync(Stream source, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        await source.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        var bytes = copy.GetBuffer().AsMemory(0, (int)copy.Length);
        var lines = new List<ReadOnlyMemory<byte>>();
        var start = 0;
        var span = bytes.Span;
        while (start < span.Length)
        {
            var end = span[start..].IndexOf((byte)'\n');
            if (end < 0)
            {
                throw Damaged(lines.Count + 1, "the last line has no line end (the export is truncated)");
            }

            lines.Add(bytes.Slice(start, end));
            start += end + 1;
        }

        if (lines.Count < 2)
        {
            throw Damaged(lines.Count, "an export has at least a header and a trailer line");
        }

        using (var header = Parse(lines[0], 1))
        {
            var root = header.RootElement;
            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != ExportFormat)
            {
                throw Damaged(1, $"the header does not name the format '{ExportFormat}'");
            }

            if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out var number) || number != ExportFormatVersion)
            {
                throw Damaged(1, $"the export is of format version {(root.TryGetProperty("version", out var v) ? v.GetRawText() : "(none)")}; this FlowState reads version {ExportFormatVersion}");
            }
        }

        var entries = new List<(StateScope Scope, BackendEntry Entry)>(lines.Count - 2);
        for (var i = 1; i < lines.Count - 1; i++)
        {
            using var line = Parse(lines[i], i + 1);
            entries.Add(ReadEntry(line.RootElement, i + 1));
        }

        var checksum = Convert.ToHexStringLower(SHA256.HashData(bytes.Span[..(start - lines[^1].Length - 1)]));
        using (var trailer = Parse(lines[^1], lines.Count))
        {
            var root = trailer.RootElement;
            if (!root.TryGetProperty("end", out var end) || end.ValueKind != JsonValueKind.True
                || !root.TryGetProperty("entries", out var count) || !count.TryGetInt64(out var expected)
                || !root.TryGetProperty("sha256", out var sha) || sha.ValueKind != JsonValueKind.String)
            {
                throw Damaged(lines.Count, "the last line is not the export's trailer (the export is truncated)");
            }

            if (expected != entries.Count)
            {
                throw Damaged(lines.Count, $"the trailer announces {expected} entries but {entries.Count} were read");
            }

            if (!string.Equals(sha.GetString(), checksum, StringComparison.Ordinal))
            {
                throw Damaged(lines.Count, "the SHA-256 of the export does not match its trailer (the content was changed)");
            }
        }

        return entries;
    }

    private static (StateScope Scope, BackendEntry Entry) ReadEntry(JsonElement line, int number)
    {
        try
        {
            var scopeKey = line.GetProperty("scope").GetString() ?? throw new FormatException("scope is null");
            var scope = StateScope.FromStorageKey(scopeKey);
            var key = line.GetProperty("key").GetString() ?? throw new FormatException("key is null");
            if (StateNameValidator.FindProblem(key, "key") is { } problem)
            {
                throw new FormatException(problem);
            }

            var value = line.GetProperty("value");
            return (scope, new BackendEntry(
                scopeKey,
                key,
                Encoding.UTF8.GetBytes(value.GetRawText()),
                line.GetProperty("version").GetInt64(),
                line.GetProperty("expiresAtTicks").GetInt64(),
                line.GetProperty("ttlTicks").GetInt64(),
                line.GetProperty("sliding").GetBoolean()));
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Damaged(number, $"not an entry: {ex.Message}");
        }
    }

    private static JsonDocument Parse(ReadOnlyMemory<byte> line, int number)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw Damaged(number, $"not JSON: {ex.Message}");
        }
    }

    private static StateCorruptedException Damaged(int line, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"The import is not an intact FlowState export: line {line}: {problem}. Nothing was imported."));
}
