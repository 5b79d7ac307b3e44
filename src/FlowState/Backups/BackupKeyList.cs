using System.Security.Cryptography;

namespace FlowState;

/// <summary>
/// The keys a full backup holds, with their versions and expiry: the start of the key set an incremental backup
/// compares the store with (the chain's incremental backups replayed on it) to find the entries changed — a newer
/// version or another expiry — and the keys deleted. A binary file beside the backup: a marker, the count, then the
/// scope's storage key, the key, the version and the expiry.
/// </summary>
internal static class BackupKeyList
{
    private const string Marker = "flowstate-backup-keys/1";

    /// <summary>Writes the keys of <paramref name="entries"/> to <paramref name="path"/> durably; returns the file's SHA-256.</summary>
    public static async Task<string> WriteAsync(string path, IReadOnlyCollection<BackendEntry> entries, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Marker);
            writer.Write(entries.Count);
            foreach (var entry in entries)
            {
                writer.Write(entry.ScopeKey);
                writer.Write(entry.Key);
                writer.Write(entry.Version);
                writer.Write(entry.ExpiresAtUtcTicks);
            }
        }

        var content = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        await Files.DurableFile.WriteAsync(path, content, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(SHA256.HashData(content.Span));
    }

    /// <summary>Reads the key list at <paramref name="path"/>, checked against <paramref name="sha256"/>.</summary>
    /// <exception cref="StateCorruptedException">It is missing, damaged or not a key list.</exception>
    public static Dictionary<(string Scope, string Key), (long Version, long ExpiresAtTicks)> Read(string path, string sha256)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException ex)
        {
            throw new StateCorruptedException($"The key list '{path}' cannot be read: {ex.Message}", ex) { Location = path };
        }

        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha256, StringComparison.Ordinal))
        {
            throw new StateCorruptedException($"The key list '{path}' does not match the SHA-256 its catalog records (it was changed or cut short)") { Location = path };
        }

        using var reader = new BinaryReader(new MemoryStream(bytes), System.Text.Encoding.UTF8);
        try
        {
            if (reader.ReadString() != Marker)
            {
                throw new StateCorruptedException($"'{path}' is not a FlowState backup key list") { Location = path };
            }

            var count = reader.ReadInt32();
            var keys = new Dictionary<(string Scope, string Key), (long Version, long ExpiresAtTicks)>(count);
            for (var i = 0; i < count; i++)
            {
                keys[(reader.ReadString(), reader.ReadString())] = (reader.ReadInt64(), reader.ReadInt64());
            }

            return keys;
        }
        catch (EndOfStreamException ex)
        {
            throw new StateCorruptedException($"The key list '{path}' ends early", ex) { Location = path };
        }
    }
}
