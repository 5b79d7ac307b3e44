using System.Text.Json;

namespace FlowState;

/// <summary>One past version of a key, kept when history is on for its scope (<see cref="StateStoreOptions.History"/>).</summary>
public sealed class StateHistoryEntry
{
    private readonly byte[]? _utf8Json;

    internal StateHistoryEntry(long version, long changedAtUtcTicks, byte[]? utf8Json)
    {
        Version = version;
        ChangedAt = new DateTimeOffset(changedAtUtcTicks, TimeSpan.Zero);
        _utf8Json = utf8Json;
    }

    /// <summary>The version this change wrote (for a delete: the delete's version).</summary>
    public long Version { get; }

    /// <summary>When the change was made (the store's clock).</summary>
    public DateTimeOffset ChangedAt { get; }

    /// <summary>True when this change removed the key (deleted, cleared or expired).</summary>
    public bool IsDeleted => _utf8Json is null;

    /// <summary>The value written, as UTF-8 JSON; empty for a delete.</summary>
    public ReadOnlyMemory<byte> Utf8Json => _utf8Json;

    internal byte[]? Bytes => _utf8Json;

    /// <summary>The value deserialized to <typeparamref name="T"/>; default for a delete.</summary>
    /// <exception cref="StateTypeException">The value does not deserialize to <typeparamref name="T"/>.</exception>
    public T? As<T>(JsonSerializerOptions? options = null)
    {
        if (_utf8Json is null)
        {
            return default;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(_utf8Json, options);
        }
        catch (JsonException ex)
        {
            throw new StateTypeException($"Version {Version} of the value does not deserialize to {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    /// <summary>The JSON, or <c>(deleted)</c>.</summary>
    public override string ToString() => _utf8Json is null ? "(deleted)" : System.Text.Encoding.UTF8.GetString(_utf8Json);
}
