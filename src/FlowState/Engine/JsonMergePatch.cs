using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlowState;

/// <summary>JSON Merge Patch (RFC 7386): objects merge recursively, <c>null</c> deletes a member, anything else replaces.</summary>
internal static class JsonMergePatch
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = JsonValueCodec.SerializerMaxDepth + 1 };
    private static readonly JsonSerializerOptions SerializerOptions = new() { MaxDepth = JsonValueCodec.SerializerMaxDepth };

    /// <summary>Applies <paramref name="patch"/> to <paramref name="target"/> (null: the key does not exist).</summary>
    public static byte[] Apply(byte[]? target, byte[] patch)
    {
        var patchNode = JsonNode.Parse(patch, documentOptions: DocumentOptions);
        if (patchNode is not JsonObject)
        {
            // RFC 7386: a patch that is not an object replaces the target whole.
            return patch;
        }

        var targetNode = target is null ? null : JsonNode.Parse(target, documentOptions: DocumentOptions);
        var merged = Merge(targetNode, patchNode);
        return JsonSerializer.SerializeToUtf8Bytes(merged, SerializerOptions);
    }

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
                continue;
            }

            if (result.TryGetPropertyValue(name, out var existing))
            {
                // Replacing the member detaches the old node (keeping the member's position), so it can be merged into.
                result[name] = null;
            }

            result[name] = Merge(existing, value);
        }

        return result;
    }
}
