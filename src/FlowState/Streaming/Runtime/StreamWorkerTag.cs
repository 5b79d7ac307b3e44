namespace FlowState.Streaming;

/// <summary>Which processor partition the current task runs, and the first key it wrote that it does not own.</summary>
internal sealed class StreamWorkerTag(int stage, int partition)
{
    public int Stage { get; } = stage;

    public int Partition { get; } = partition;

    public string? Violation { get; set; }
}
