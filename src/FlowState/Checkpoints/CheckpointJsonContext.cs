using System.Text.Json.Serialization;

namespace FlowState.Checkpoints;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(CheckpointManifest))]
internal sealed partial class CheckpointJsonContext : JsonSerializerContext;
