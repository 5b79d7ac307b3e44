using System.Text.Json.Serialization;

namespace OrderWorker;

/// <summary>One line of orders.jsonl.</summary>
internal sealed record Order(
    [property: JsonPropertyName("order")] string Id,
    [property: JsonPropertyName("customer")] string Customer,
    [property: JsonPropertyName("total")] decimal Total);
