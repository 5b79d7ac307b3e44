using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlowState.AgentFramework;

/// <summary>A checkpoint as it is stored: the Agent Framework's JSON, its parent's id and when it was written.</summary>
internal sealed record StoredCheckpoint(string? Parent, DateTimeOffset Created, JsonElement Value);

/// <summary>Source-generated serialization of <see cref="StoredCheckpoint"/>.</summary>
[JsonSerializable(typeof(StoredCheckpoint))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class StoredCheckpointJsonContext : JsonSerializerContext;
