using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace FlowState;

/// <summary>
/// A catalog backup's file, in the portable JSON-lines layout of exports: a header naming the backup (id, kind, base,
/// versions), one line per entry written and per key deleted, and a trailer with the counts and the SHA-256 of every
/// byte before it. Written complete under its name or not at all (<see cref="Files.DurableFile"/>).
/// </summary>
internal static class BackupFile
{
    /// <summary>The <c>format</c> field of a backup's header.</summary>
    public const string Format = "flowstate-backup";

    /// <summary>The backup format version this FlowState writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The header fields a backup is written with, checked when it is read.</summary>
    public sealed record Header(long Id, StateBackupKind Kind, long? BaseId, long FromVersion, long Version, DateTimeOffset CreatedAt, string Source);

    /// <summary>Writes a backup of <paramref name="entries"/> and <paramref name="deletions"/> (both sorted) to <paramref name="path"/>.</summary>
    /// <returns>The SHA-256 of its content (before the trailer) and the file's size.</returns>
    public static async Task<(string Sha256, long Bytes)> WriteAsync(
        string path, Header header, IReadOnlyList<BackendEntry> entries, IReadOnlyList<(string Scope, string Key)> deletions, CancellationToken cancellationToken)
    {
        string checksum = string.Empty;
        long bytes = 0;
        await Files.DurableFile.WriteAsync(path, async (stream, token) =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new MemoryStream();
            await PortableLines.WriteLineAsync(stream, hash, buffer, writer =>
            {
                writer.WriteString("format", Format);
                writer.WriteNumber("version", FormatVersion);
                writer.WriteNumber("id", header.Id);
                writer.WriteString("kind", header.Kind == StateBackupKind.Full ? "full" : "incremental");
                if (header.BaseId is { } baseId)
                {
                    writer.WriteNumber("base", baseId);
                }

                writer.WriteNumber("fromVersion", header.FromVersion);
                writer.WriteNumber("toVersion", header.Version);
                writer.WriteString("created", header.CreatedAt);
                writer.WriteString("source", header.Source);
            }, token).ConfigureAwait(false);
            var paths = new PortableLines.ScopePaths();
            foreach (var entry in entries)
            {
                var scopePath = paths.Of(entry.ScopeKey);
                await PortableLines.WriteLineAsync(stream, hash, buffer, writer => PortableLines.WriteEntry(writer, entry, scopePath), token).ConfigureAwait(false);
            }

            foreach (var (scope, key) in deletions)
            {
                var scopePath = paths.Of(scope);
                await PortableLines.WriteLineAsync(stream, hash, buffer, writer =>
                {
                    writer.WriteString("scope", scope);
                    writer.WriteString("path", scopePath);
                    writer.WriteString("key", key);
                    writer.WriteBoolean("deleted", true);
                }, token).ConfigureAwait(false);
            }

            checksum = Convert.ToHexStringLower(hash.GetHashAndReset());
            await PortableLines.WriteLineAsync(stream, null, buffer, writer =>
            {
                writer.WriteBoolean("end", true);
                writer.WriteNumber("entries", entries.Count);
                writer.WriteNumber("deletions", deletions.Count);
                writer.WriteString("sha256", checksum);
            }, token).ConfigureAwait(false);
            await stream.FlushAsync(token).ConfigureAwait(false);
            bytes = stream.Length;
        }, cancellationToken).ConfigureAwait(false);
        return (checksum, bytes);
    }

    /// <summary>
    /// Reads the backup at <paramref name="path"/> and checks it whole against what its catalog records
    /// (<paramref name="record"/>): format, header, every line, the counts and the SHA-256.
    /// </summary>
    /// <exception cref="StateCorruptedException">It is missing, damaged, or not the backup the catalog records.</exception>
    public static async Task<(List<BackendEntry> Entries, List<(string Scope, string Key)> Deletions)> ReadAsync(string path, StateBackupRecord record, CancellationToken cancellationToken)
    {
        StateCorruptedException Damaged(int line, string problem) =>
            new(string.Create(CultureInfo.InvariantCulture, $"Backup {record.Id} ('{path}') is not intact: line {line}: {problem}. Restore from another backup, or take a new full one.")) { Location = path };

        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new StateCorruptedException($"Backup {record.Id} cannot be read from '{path}': {ex.Message}. Restore from another backup, or take a new full one.", ex) { Location = path };
        }

        var (lines, trailer) = PortableLines.Split(bytes, "backup", Damaged);
        using (trailer)
        {
            using (var header = PortableLines.Parse(lines[0], 1, Damaged))
            {
                CheckHeader(header.RootElement, record, Damaged);
            }

            var entries = new List<BackendEntry>();
            var deletions = new List<(string Scope, string Key)>();
            for (var i = 1; i < lines.Count - 1; i++)
            {
                if (PortableLines.ReadBodyLine(lines[i].Span, i + 1, deletions: true, out var deleted, Damaged) is { } entry)
                {
                    entries.Add(entry);
                }
                else
                {
                    deletions.Add(deleted);
                }
            }

            var root = trailer.RootElement;
            if (!root.TryGetProperty("entries", out var entryCount) || !entryCount.TryGetInt64(out var expectedEntries) || expectedEntries != entries.Count
                || !root.TryGetProperty("deletions", out var deletionCount) || !deletionCount.TryGetInt64(out var expectedDeletions) || expectedDeletions != deletions.Count)
            {
                throw Damaged(lines.Count, $"the trailer's counts do not match the {entries.Count} entries and {deletions.Count} deletions read");
            }

            if (entries.Count != record.Entries || deletions.Count != record.Deletions
                || !string.Equals(root.GetProperty("sha256").GetString(), record.Sha256, StringComparison.Ordinal))
            {
                throw Damaged(lines.Count, "it is not the backup its catalog records (another checksum or other counts)");
            }

            return (entries, deletions);
        }
    }

    private static void CheckHeader(JsonElement root, StateBackupRecord record, Func<int, string, StateCorruptedException> damaged)
    {
        if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
        {
            throw damaged(1, $"the header does not name the format '{Format}'");
        }

        if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out var number) || number != FormatVersion)
        {
            throw damaged(1, $"the backup is of format version {(root.TryGetProperty("version", out var v) ? v.GetRawText() : "(none)")}; this FlowState reads version {FormatVersion}");
        }

        var kind = record.Kind == StateBackupKind.Full ? "full" : "incremental";
        if (!root.TryGetProperty("id", out var id) || !id.TryGetInt64(out var idNumber) || idNumber != record.Id
            || !root.TryGetProperty("kind", out var kindText) || kindText.GetString() != kind
            || (root.TryGetProperty("base", out var baseId) ? baseId.GetInt64() : (long?)null) != record.BaseId
            || !root.TryGetProperty("toVersion", out var toVersion) || toVersion.GetInt64() != record.Version)
        {
            throw damaged(1, string.Create(CultureInfo.InvariantCulture, $"the header is not that of backup {record.Id} ({kind}, version {record.Version})"));
        }
    }

}
