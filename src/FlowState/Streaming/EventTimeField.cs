using System.Globalization;
using System.Text.Json;

namespace FlowState.Streaming;

/// <summary>Reads an event time from a JSON property: an ISO 8601 string, or milliseconds since the Unix epoch.</summary>
internal static class EventTimeField
{
    /// <summary>The time in <paramref name="field"/> of <paramref name="value"/>, or null when the value has no such property.</summary>
    /// <param name="value">The message's value.</param>
    /// <param name="field">The property with the time; null: none.</param>
    /// <param name="fail">Makes the error for a property that holds something else, given what is wrong with it.</param>
    public static DateTimeOffset? Read(JsonElement value, string? field, Func<string, StreamException> fail)
    {
        if (field is null || value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(field, out var time))
        {
            return null;
        }

        if (time.ValueKind == JsonValueKind.Number && time.TryGetInt64(out var milliseconds))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        }

        if (time.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return parsed;
        }

        throw fail($"its '{field}' is neither an ISO 8601 time nor milliseconds since 1970");
    }
}
