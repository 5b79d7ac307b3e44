using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FlowState.Checkpoints;

/// <summary>A manifest on storage: <c>{"format":"flowstate-checkpoint","version":1,"sha256":"…","manifest":{…}}</c>.</summary>
internal static class CheckpointManifestCodec
{
    public const string Format = "flowstate-checkpoint";
    public const int Version = 1;

    public static byte[] Encode(CheckpointManifest manifest)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(manifest, CheckpointJsonContext.Default.CheckpointManifest);
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteNumber("version", Version);
            writer.WriteString("sha256", Convert.ToHexStringLower(SHA256.HashData(body)));
            writer.WritePropertyName("manifest");
            writer.WriteRawValue(body, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <exception cref="StateCorruptedException">The bytes are not an intact manifest of a known version.</exception>
    public static CheckpointManifest Decode(byte[] bytes, long expectedId, string where)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (!root.TryGetProperty("format", out var format) || format.GetString() != Format)
            {
                throw Damaged(expectedId, where, $"it does not name the format '{Format}'");
            }

            if (!root.TryGetProperty("version", out var version) || version.GetInt32() != Version)
            {
                throw Damaged(expectedId, where, $"it is of another format version; this FlowState reads version {Version}");
            }

            var body = root.GetProperty("manifest");
            var raw = Encoding.UTF8.GetBytes(body.GetRawText());
            if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(raw)), root.GetProperty("sha256").GetString(), StringComparison.Ordinal))
            {
                throw Damaged(expectedId, where, "its SHA-256 does not match its content");
            }

            var manifest = body.Deserialize(CheckpointJsonContext.Default.CheckpointManifest)
                ?? throw Damaged(expectedId, where, "it is empty");
            return manifest.Id == expectedId ? manifest : throw Damaged(expectedId, where, $"it names checkpoint {manifest.Id}");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Damaged(expectedId, where, ex.Message);
        }
    }

    private static StateCorruptedException Damaged(long id, string where, string problem) =>
        new($"The manifest of checkpoint {id} in '{where}' is damaged: {problem}. Delete that checkpoint's manifest to fall back to the one before it.");
}
