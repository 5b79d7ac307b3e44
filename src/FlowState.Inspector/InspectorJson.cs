using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlowState.Inspector;

/// <summary>The API's JSON: camelCase names, enums as their names, nulls left out.</summary>
internal static class InspectorJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
