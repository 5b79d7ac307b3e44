using System.Text.Json.Serialization;

namespace FlowState.Streaming;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CountUpdate))]
[JsonSerializable(typeof(Session))]
internal sealed partial class StreamJsonContext : JsonSerializerContext;
