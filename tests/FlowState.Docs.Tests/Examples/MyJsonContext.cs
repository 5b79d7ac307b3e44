using System.Text.Json.Serialization;

namespace FlowState.Docs.Tests.Examples;

/// <summary>The store guide's source-generated serializer context (System.Text.Json's generator runs on it).</summary>
[JsonSerializable(typeof(Order))]
public sealed partial class MyJsonContext : JsonSerializerContext;
