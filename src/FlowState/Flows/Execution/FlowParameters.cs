using System.Text.Json;

namespace FlowState.Flows;

/// <summary>Flow parameters: an object's properties as JSON values.</summary>
internal static class FlowParameters
{
    public static readonly IReadOnlyDictionary<string, JsonElement> None = new Dictionary<string, JsonElement>();

    /// <summary>The properties of <paramref name="parameters"/> (serialized with <paramref name="options"/>) on top of <paramref name="inherited"/>.</summary>
    /// <exception cref="ArgumentException">The value is not a JSON object.</exception>
    public static IReadOnlyDictionary<string, JsonElement> From(object? parameters, JsonSerializerOptions options, string what, IReadOnlyDictionary<string, JsonElement>? inherited = null)
    {
        if (parameters is null)
        {
            return inherited ?? None;
        }

        var element = parameters is JsonElement json ? json : JsonSerializer.SerializeToElement(parameters, options);
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"{what} must be a JSON object whose properties are the parameters (got {element.ValueKind}).", nameof(parameters));
        }

        var merged = new Dictionary<string, JsonElement>(inherited ?? None, StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            merged[property.Name] = property.Value.Clone();
        }

        return merged;
    }
}
