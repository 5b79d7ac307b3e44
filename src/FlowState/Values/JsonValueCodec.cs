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

    [ThreadStatic]
    private static BoundedSerializer? t_serializer;

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

    public static byte[] Serialize<T>(T value, JsonSerializerOptions options, string key) =>
        Serialize(value, TypeInfo<T>(Deep(options)), key, long.MaxValue, StateScope.Global);

    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> typeInfo, string key) =>
        Serialize(value, typeInfo, key, long.MaxValue, StateScope.Global);

    /// <summary>
    /// Serializes a value that may hold at most <paramref name="maxBytes"/> bytes in <paramref name="scope"/>; one far
    /// over the limit is refused once it has grown past it (a 100 MB value: after about the limit's worth of work).
    /// </summary>
    public static byte[] Serialize<T>(T value, JsonSerializerOptions options, string key, long maxBytes, StateScope scope) =>
        Serialize(value, TypeInfo<T>(Deep(options)), key, maxBytes, scope);

    /// <inheritdoc cref="Serialize{T}(T, JsonSerializerOptions, string, long, StateScope)"/>
    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> typeInfo, string key, long maxBytes, StateScope scope)
    {
        // UTF-8 takes at least a byte per UTF-16 unit and JSON adds the quotes: a string that long cannot fit.
        if (value is string text && text.Length + 2L > maxBytes)
        {
            throw TooLarge(scope, key, text.Length + 2L, maxBytes, atLeast: true);
        }

        try
        {
            if (maxBytes == long.MaxValue)
            {
                return JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
            }

            return SerializeBounded(value, typeInfo, maxBytes);
        }
        catch (BoundedBufferWriter.LimitReachedException ex)
        {
            throw TooLarge(scope, key, ex.Written, maxBytes, atLeast: true);
        }
        catch (JsonException ex) when (ex.InnerException is BoundedBufferWriter.LimitReachedException limit)
        {
            // Thrown inside a converter, the serializer wraps it.
            throw TooLarge(scope, key, limit.Written, maxBytes, atLeast: true);
        }

        // System.Text.Json reports both a reference cycle and a too-deep value as a JsonException whose (English)
        // message mentions a cycle; there is no distinct type. Should the message differ (a localized runtime),
        // the error still surfaces typed, as StateValueException, by the next clause.
        catch (JsonException ex) when (ex.Message.Contains("cycle", StringComparison.OrdinalIgnoreCase))
        {
            throw new StateLimitExceededException(
                $"The value for key '{key}' nests deeper than {Math.Min(typeInfo.Options.MaxDepth, SerializerMaxDepth)} levels or contains a reference cycle; flatten it or break the cycle.", ex)
            {
                Limit = "MaxDepth",
                LimitValue = Math.Min(typeInfo.Options.MaxDepth, SerializerMaxDepth),
                Key = key,
            };
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new StateValueException($"The value for key '{key}' of type {typeof(T).Name} cannot be written as JSON: {ex.Message}", ex);
        }
    }

    /// <summary>The contract of <typeparamref name="T"/> in <paramref name="options"/>, the last one asked for kept per type (a lookup otherwise).</summary>
    private static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions options)
    {
        if (LastTypeInfo<T>.Value is { } last && ReferenceEquals(last.Options, options))
        {
            return last;
        }

        var info = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        LastTypeInfo<T>.Value = info;
        return info;
    }

    private static byte[] SerializeBounded<T>(T value, JsonTypeInfo<T> typeInfo, long maxBytes)
    {
        // Taken off the thread while in use: a converter that writes state while it is serialized gets its own.
        var serializer = t_serializer ?? new BoundedSerializer();
        t_serializer = null;
        try
        {
            return serializer.Serialize(value, typeInfo, maxBytes);
        }
        finally
        {
            t_serializer = serializer;
        }
    }

    /// <summary>A buffer and a JSON writer over it, reused by one thread for value after value.</summary>
    private static class LastTypeInfo<T>
    {
        // Written and read whole (a reference), so a race only costs a lookup.
        public static volatile JsonTypeInfo<T>? Value;
    }

#pragma warning disable CA1001 // The writer lives as long as its thread and holds only managed memory.
    private sealed class BoundedSerializer
#pragma warning restore CA1001
    {
        private readonly BoundedBufferWriter _buffer = new();
        private Utf8JsonWriter? _writer;
        private JsonSerializerOptions? _writerOptionsOf;

        public byte[] Serialize<T>(T value, JsonTypeInfo<T> typeInfo, long maxBytes)
        {
            _buffer.Reset(maxBytes);
            var options = typeInfo.Options;
            if (_writer is null || !ReferenceEquals(_writerOptionsOf, options))
            {
                _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions
                {
                    Encoder = options.Encoder,
                    Indented = options.WriteIndented,
                    IndentCharacter = options.IndentCharacter,
                    IndentSize = options.IndentSize,
                    NewLine = options.NewLine,
                    MaxDepth = options.MaxDepth,
                });
                _writerOptionsOf = options;
            }
            else
            {
                _writer.Reset(_buffer);
            }

            JsonSerializer.Serialize(_writer, value, typeInfo);
            _writer.Flush();
            return _buffer.ToArray();
        }
    }

    private static StateLimitExceededException TooLarge(StateScope scope, string key, long bytes, long maxBytes, bool atLeast) => new(
        $"The value for key '{key}' in scope '{scope}' is {(atLeast ? "at least " : string.Empty)}{bytes} bytes; the limit is {maxBytes}. Store it in parts or raise StateLimits.MaxValueBytes.")
    {
        Limit = "MaxValueBytes",
        LimitValue = maxBytes,
        AttemptedValue = bytes,
        Scope = scope,
        Key = key,
    };

    /// <summary>The stored value <paramref name="utf8Json"/> of <paramref name="key"/> in <paramref name="scope"/> as a <typeparamref name="T"/>.</summary>
    /// <exception cref="StateTypeException">It does not deserialize to <typeparamref name="T"/>.</exception>
    public static T? Deserialize<T>(byte[] utf8Json, StateScope scope, string key, JsonSerializerOptions options)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(utf8Json, Deep(options));
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            throw TypeError<T>(scope, key, ex);
        }
    }

    /// <summary>The stored value <paramref name="utf8Json"/> of <paramref name="key"/> in <paramref name="scope"/> as a <typeparamref name="T"/>.</summary>
    /// <exception cref="StateTypeException">It does not deserialize to <typeparamref name="T"/>.</exception>
    public static T? Deserialize<T>(byte[] utf8Json, StateScope scope, string key, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8Json, typeInfo);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            throw TypeError<T>(scope, key, ex);
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
            throw TooLarge(scope, key, utf8Json.Length, maxBytes, atLeast: false);
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
                                $"The value for key '{key}' in scope '{scope}' nests deeper than {maxDepth} levels; flatten it or raise StateLimits.MaxDepth.")
                            {
                                Limit = "MaxDepth",
                                LimitValue = maxDepth,
                                AttemptedValue = level,
                                Scope = scope,
                                Key = key,
                            };
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

    private static StateTypeException TypeError<T>(StateScope scope, string key, Exception ex) =>
        new($"The value of key '{key}' in scope '{scope}' does not deserialize to {typeof(T).Name}: {ex.Message}", ex);
}
