using System.Text.Json;

namespace FlowState.Streaming;

/// <summary>
/// One message flowing through a pipeline: an optional key (which partition handles it, and the key of its keyed
/// state), a JSON value, an optional id (source and position, used to drop duplicates) and a timestamp.
/// Immutable; processors make new messages instead of changing one.
/// </summary>
public sealed class StreamMessage
{
    /// <summary>
    /// Creates a message. <paramref name="value"/> must not belong to a <see cref="JsonDocument"/> that will be disposed
    /// (clone it). Without <paramref name="timestamp"/> the message is stamped by the system clock; the bundled sources
    /// stamp theirs with their own <see cref="TimeProvider"/>, and processors pass the input's time on.
    /// </summary>
    public StreamMessage(string? key, JsonElement value, string? id = null, DateTimeOffset? timestamp = null)
    {
        Key = key;
        Value = value;
        Id = id;
        Timestamp = timestamp ?? TimeProvider.System.GetUtcNow();
    }

    /// <summary>The partitioning key; null spreads the message by its <see cref="Id"/> (or round-robin without one).</summary>
    public string? Key { get; }

    // Set once more only by a processor that parses a batch's values together, before it hands the message on.
    /// <summary>The payload.</summary>
    public JsonElement Value { get; internal set; }

    /// <summary>Where the message came from, unique per source (e.g. <c>events.jsonl@1024</c>); null for derived messages.</summary>
    public string? Id { get; }

    /// <summary>When the message was read or made.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Makes a message whose value is <paramref name="value"/> serialized to JSON.</summary>
    public static StreamMessage Create<T>(string? key, T value, string? id = null, DateTimeOffset? timestamp = null, JsonSerializerOptions? options = null) =>
        new(key, JsonSerializer.SerializeToElement(value, options), id, timestamp);

    /// <summary>The value deserialized to <typeparamref name="T"/>.</summary>
    public T? GetValue<T>(JsonSerializerOptions? options = null) => Value.Deserialize<T>(options);

    /// <inheritdoc />
    public override string ToString() => $"{Key ?? "(no key)"}: {Value.GetRawText()}";
}
