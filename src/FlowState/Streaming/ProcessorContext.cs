namespace FlowState.Streaming;

/// <summary>What a processor sees of the pipeline while it handles one partition's messages.</summary>
public sealed class ProcessorContext
{
    internal ProcessorContext(string pipelineName, string processorName, int partition, int partitionCount, IStateStore state, IStateStore runtimeState)
    {
        PipelineName = pipelineName;
        ProcessorName = processorName;
        Partition = partition;
        PartitionCount = partitionCount;
        State = state;
        RuntimeState = runtimeState;
    }

    /// <summary>The pipeline's name.</summary>
    public string PipelineName { get; }

    /// <summary>The processor's name.</summary>
    public string ProcessorName { get; }

    /// <summary>Which partition this is, from 0.</summary>
    public int Partition { get; }

    /// <summary>How many partitions the processor runs in.</summary>
    public int PartitionCount { get; }

    /// <summary>
    /// The processor's keyed state (scope <c>custom:stream:{pipeline}:{processor}:</c>). Store each value under the key
    /// of the message it belongs to (or a key with the same partition): a partition owns the keys that hash to it, the
    /// checkpoint of a partition holds exactly those, and rescaling moves them by that hash. Writing a key of another
    /// partition fails the pipeline with a <see cref="StreamException"/>.
    /// </summary>
    public IStateStore State { get; }

    /// <summary>State the runtime keeps for wrappers such as <see cref="ExactlyOnceProcessor"/>; keyed like <see cref="State"/>.</summary>
    internal IStateStore RuntimeState { get; }

    /// <summary>True when <paramref name="key"/> belongs to this partition.</summary>
    public bool Owns(string key) => StreamPartitioner.PartitionOf(key, PartitionCount) == Partition;
}
