using System.Text.Json.Nodes;

namespace FlowState.Inspector;

/// <summary>A value as shown: the JSON (or its cut preview, as a string), its full size in bytes, and why it differs.</summary>
internal sealed record ValueView(JsonNode? Value, int Size, bool Truncated, bool Redacted);
