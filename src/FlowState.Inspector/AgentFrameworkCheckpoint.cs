using System.Text.Json;

namespace FlowState.Inspector;

/// <summary>
/// A checkpoint that <c>FlowState.AgentFramework</c>'s checkpoint store wrote: the key <c>checkpoint:{id}</c> in a
/// session's scope (a scope inside a custom scope), holding <c>{"parent", "created", "value"}</c>, where the value is the
/// Agent Framework's own JSON. Read here from the JSON alone, so the inspector needs no Agent Framework assembly; what
/// the framework's JSON does not hold (an older or newer framework) is left out, never guessed.
/// </summary>
internal sealed record AgentFrameworkCheckpoint(string Id, string Key, string? Parent, DateTimeOffset Created, long? Step, long Version, int Bytes)
{
    public const string KeyPrefix = "checkpoint:";

    /// <summary>Whether <paramref name="scope"/> can be a session's scope: a scope inside a custom scope.</summary>
    public static bool IsSessionScope(StateScope scope) => scope is { Depth: 2, Parent.Kind: ScopeSegmentKind.Custom };

    /// <summary>The checkpoint stored under <paramref name="key"/>, or null when the value is not one (another use of such a key).</summary>
    public static AgentFrameworkCheckpoint? TryRead(string key, StateEntry entry)
    {
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal) || key.Length == KeyPrefix.Length)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(entry.Value);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("created", out var created) || !created.TryGetDateTimeOffset(out var createdAt)
                || !root.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var parent = root.TryGetProperty("parent", out var parentId) && parentId.ValueKind == JsonValueKind.String ? parentId.GetString() : null;
            long? step = value.TryGetProperty("stepNumber", out var number) && number.TryGetInt64(out var n) ? n : null;
            return new AgentFrameworkCheckpoint(key[KeyPrefix.Length..], key, parent, createdAt, step, entry.Version, entry.Value.Length);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
