using System.Text.Json.Serialization;

namespace FlowState.Streaming;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CountUpdate))]
[JsonSerializable(typeof(Session))]
[JsonSerializable(typeof(TimerSet))]
[JsonSerializable(typeof(WindowResult))]
internal sealed partial class StreamJsonContext : JsonSerializerContext;
