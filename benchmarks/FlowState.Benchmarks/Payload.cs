namespace FlowState.Benchmarks;

/// <summary>A small state value of the kind a flow step keeps.</summary>
public sealed class Payload
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public double Score { get; set; }

    public List<string> Tags { get; set; } = [];

    public static Payload Sample(int i) => new() { Id = i, Name = $"item-{i}", Score = i * 0.5, Tags = ["a", "b", "c"] };
}
