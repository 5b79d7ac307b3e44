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
            // Read as a stream, without a document: listing needs three fields, and the kilobytes of workflow around
            // them are skipped, not built into objects.
            var reader = new Utf8JsonReader(entry.Value.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? parent = null;
            DateTimeOffset? created = null;
            long? step = null;
            var sawValue = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("parent"u8))
                {
                    reader.Read();
                    parent = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("created"u8))
                {
                    reader.Read();
                    created = reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var at) ? at : null;
                }
                else if (reader.ValueTextEquals("value"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return null;
                    }

                    sawValue = true;
                    step = ReadStep(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return sawValue && created is { } time
                ? new AgentFrameworkCheckpoint(key[KeyPrefix.Length..], key, parent, time, step, entry.Version, entry.Value.Length)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // The super-step of the framework's checkpoint, the reader moved past the value's object whatever it holds.
    private static long? ReadStep(ref Utf8JsonReader reader)
    {
        long? step = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isStep = reader.ValueTextEquals("stepNumber"u8);
            reader.Read();
            if (isStep && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number))
            {
                step = number;
            }
            else
            {
                reader.Skip();
            }
        }

        return step;
    }
}
