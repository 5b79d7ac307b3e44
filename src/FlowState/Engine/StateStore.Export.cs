using System.Globalization;
using System.Security.Cryptography;
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
        entries.Sort(StorageNameOrder.Entries);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new MemoryStream();
        await PortableLines.WriteLineAsync(destination, hash, buffer, writer =>
        {
            writer.WriteString("format", ExportFormat);
            writer.WriteNumber("version", ExportFormatVersion);
            writer.WriteString("created", _time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);
        var paths = new PortableLines.ScopePaths();
        foreach (var entry in entries)
        {
            var path = paths.Of(entry.ScopeKey);
            await PortableLines.WriteLineAsync(destination, hash, buffer, writer => PortableLines.WriteEntry(writer, entry, path), cancellationToken).ConfigureAwait(false);
        }

        var checksum = Convert.ToHexStringLower(hash.GetHashAndReset());
        await PortableLines.WriteLineAsync(destination, null, buffer, writer =>
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

            batch.Within(scope).SetRaw(entry.Key, entry.Value, PortableLines.ExpiryOf(entry, now));
            written++;
        }

        if (written > 0)
        {
            await ApplyAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        return written;
    }

    private static async Task<List<(StateScope Scope, BackendEntry Entry)>> ReadExportAsync(Stream source, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        await source.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        var (lines, trailer) = PortableLines.Split(copy.GetBuffer().AsMemory(0, (int)copy.Length), "export", Damaged);
        using (trailer)
        {
            using (var header = PortableLines.Parse(lines[0], 1, Damaged))
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
            StateScope? scope = null;
            for (var i = 1; i < lines.Count - 1; i++)
            {
                var entry = PortableLines.ReadBodyLine(lines[i].Span, i + 1, deletions: false, out _, Damaged)!;
                if (scope is null || !string.Equals(scope.StorageKey, entry.ScopeKey, StringComparison.Ordinal))
                {
                    scope = StateScope.FromStorageKey(entry.ScopeKey); // entries come sorted by scope
                }

                entries.Add((scope, entry));
            }

            if (!trailer.RootElement.TryGetProperty("entries", out var count) || !count.TryGetInt64(out var expected))
            {
                throw Damaged(lines.Count, "the last line is not the export's trailer (the export is truncated)");
            }

            if (expected != entries.Count)
            {
                throw Damaged(lines.Count, $"the trailer announces {expected} entries but {entries.Count} were read");
            }

            return entries;
        }
    }

    private static StateCorruptedException Damaged(int line, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"The import is not an intact FlowState export: line {line}: {problem}. Nothing was imported."));
}
