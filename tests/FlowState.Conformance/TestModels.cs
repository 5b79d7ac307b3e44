using System.Text.Json.Serialization;

namespace FlowState.Conformance;

public sealed class Order
{
    public string Id { get; set; } = "";

    public decimal Total { get; set; }

    public List<string> Items { get; set; } = [];

    public Address? ShipTo { get; set; }
}

public sealed record Address(string City, string Zip);

public sealed record Counter(int Value);

[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Counter))]
public sealed partial class TestJsonContext : JsonSerializerContext;
