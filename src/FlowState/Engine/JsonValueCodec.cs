using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;

namespace FlowState;

/// <summary>Turns values into validated UTF-8 JSON and back, mapping failures to typed state errors.</summary>
internal static class JsonValueCodec
{
    /// <summary>
    /// Serializer depth used internally. Store limits (<see cref="StateLimits.MaxDepth"/>) are enforced by
    /// <see cref="Validate"/>, so the serializer only needs to stop runaway cycles.
    /// </summary>
    public const int SerializerMaxDepth = 1024;

    private static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> DeepOptions = new();

    [ThreadStatic]
    private static List<PropertyNameSet>? t_propertyNames;

    public static JsonSerializerOptions Deep(JsonSerializerOptions options)
    {
        if (options.MaxDepth >= SerializerMaxDepth)
        {
            return options;
        }

        return DeepOptions.GetValue(options, static o =>
        {
            var copy = new JsonSerializerOptions(o) { MaxDepth = SerializerMaxDepth };
            copy.MakeReadOnly(populateMissingResolver: true);
            return copy;
        });
    }

    public static byte[] Serialize<T>(T value, JsonSerializerOptions options, string key)
    {
        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(value, Deep(options));
        }

        // System.Text.Json reports both a reference cycle and a too-deep value as a JsonException whose (English)
        // message mentions a cycle; there is no distinct type. Should the message differ (a localized runtime),
        // the error still surfaces typed, as StateValueException, by the next clause.
        catch (JsonException ex) when (ex.Message.Contains("cycle", StringComparison.OrdinalIgnoreCase))
        {
            throw new StateLimitExceededException(
                $"The value for key '{key}' nests deeper than {SerializerMaxDepth} levels or contains a reference cycle; flatten it or break the cycle.", ex);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new StateValueException($"The value for key '{key}' of type {typeof(T).Name} cannot be written as JSON: {ex.Message}", ex);
        }
    }

    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> typeInfo, string key)
    {
        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        }
        catch (JsonException ex) when (ex.Message.Contains("cycle", StringComparison.OrdinalIgnoreCase))
        {
            throw new StateLimitExceededException(
                $"The value for key '{key}' nests deeper than the serializer allows ({typeInfo.Options.MaxDepth}) or contains a reference cycle.", ex);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new StateValueException($"The value for key '{key}' of type {typeof(T).Name} cannot be written as JSON: {ex.Message}", ex);
        }
    }

    public static T? Deserialize<T>(StateEntry entry, JsonSerializerOptions options)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(entry.Utf8Json, Deep(options));
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            throw TypeError<T>(entry, ex);
        }
    }

    public static T? Deserialize<T>(StateEntry entry, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return JsonSerializer.Deserialize(entry.Utf8Json, typeInfo);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            throw TypeError<T>(entry, ex);
        }
    }

    /// <summary>
    /// Checks that <paramref name="utf8Json"/> is one well-formed JSON value in valid UTF-8, without duplicate
    /// property names, within <paramref name="maxBytes"/> and <paramref name="maxDepth"/>.
    /// </summary>
    public static void Validate(ReadOnlySpan<byte> utf8Json, long maxBytes, int maxDepth, StateScope scope, string key)
    {
        if (utf8Json.Length > maxBytes)
        {
            throw new StateLimitExceededException(
                $"The value for key '{key}' in scope '{scope}' is {utf8Json.Length} bytes; the limit is {maxBytes}. Store it in parts or raise StateLimits.MaxValueBytes.");
        }

        if (!Utf8.IsValid(utf8Json))
        {
            throw new StateValueException($"The value for key '{key}' in scope '{scope}' is not valid UTF-8.");
        }

        var names = t_propertyNames ??= [];
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        var level = reader.CurrentDepth + 1;
                        if (level > maxDepth)
                        {
                            throw new StateLimitExceededException(
                                $"The value for key '{key}' in scope '{scope}' nests deeper than {maxDepth} levels; flatten it or raise StateLimits.MaxDepth.");
                        }

                        if (reader.TokenType == JsonTokenType.StartObject)
                        {
                            while (names.Count <= level)
                            {
                                names.Add(new PropertyNameSet());
                            }

                            names[level].Clear();
                        }

                        break;
                    case JsonTokenType.PropertyName:
                        if (!names[reader.CurrentDepth].Add(ref reader, utf8Json))
                        {
                            throw new StateValueException(
                                $"The value for key '{key}' in scope '{scope}' has the property '{reader.GetString()}' twice in one object; JSON objects stored as state must have unique property names.");
                        }

                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            throw new StateValueException($"The value for key '{key}' in scope '{scope}' is not one well-formed JSON value: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new StateValueException($"The value for key '{key}' in scope '{scope}' has an invalid string: {ex.Message}", ex);
        }
    }

    /// <summary>Depth of nesting of an already valid JSON value (0 for a scalar).</summary>
    public static int MeasureDepth(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = SerializerMaxDepth + 1 });
        var max = 0;
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                max = Math.Max(max, reader.CurrentDepth + 1);
            }
        }

        return max;
    }

    private static StateTypeException TypeError<T>(StateEntry entry, Exception ex) =>
        new($"The value of key '{entry.Key}' in scope '{entry.Scope}' does not deserialize to {typeof(T).Name}: {ex.Message}", ex);
}
