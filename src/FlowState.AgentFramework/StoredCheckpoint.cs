using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlowState.AgentFramework;

/// <summary>A checkpoint as it is stored: the Agent Framework's JSON, its parent's id and when it was written.</summary>
internal sealed record StoredCheckpoint(string? Parent, DateTimeOffset Created, JsonElement Value)
{
    /// <summary>
    /// <c>{"parent":…,"created":…,"value":…}</c>, the framework's JSON copied in as it is: the element holds its UTF-8
    /// text already, so it is neither written token by token nor checked again here (the store checks what it stores).
    /// </summary>
    public static ReadOnlyMemory<byte> Write(string? parent, DateTimeOffset created, JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        var buffer = new ArrayBufferWriter<byte>(raw.Length + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("parent"u8, parent);
            writer.WriteString("created"u8, created);
            writer.WritePropertyName("value"u8);
            writer.WriteRawValue(raw, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    /// <summary>The parent and time at the head of a stored checkpoint, or null when they cannot be read.</summary>
    public static Header? ReadHeader(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? parent = null;
            var sawParent = false;
            DateTimeOffset? created = null;
            while ((!sawParent || created is null) && reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("parent"u8))
                {
                    reader.Read();
                    parent = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
                    sawParent = true;
                }
                else if (reader.ValueTextEquals("created"u8))
                {
                    reader.Read();
                    created = reader.GetDateTimeOffset();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return sawParent && created is { } at ? new Header(parent, at) : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>What listing a session needs of a checkpoint.</summary>
    public sealed record Header(string? Parent, DateTimeOffset Created);
}

/// <summary>Source-generated serialization of <see cref="StoredCheckpoint"/>.</summary>
[JsonSerializable(typeof(StoredCheckpoint))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class StoredCheckpointJsonContext : JsonSerializerContext;
