using System.Text.Json.Serialization;

namespace FlowState.Testing;

internal sealed class Order
{
    public string Id { get; set; } = "";

    public decimal Total { get; set; }

    public List<string> Items { get; set; } = [];

    public Address? ShipTo { get; set; }
}

internal sealed record Address(string City, string Zip);

internal sealed record Counter(int Value);

[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Counter))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
