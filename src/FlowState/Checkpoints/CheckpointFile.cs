namespace FlowState.Checkpoints;

/// <summary>One state file of a checkpoint: a processor's partition.</summary>
/// <param name="Name">The file name under the checkpoint's data key.</param>
/// <param name="Processor">The processor whose state it holds.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Entries">Entries and tombstones in it.</param>
/// <param name="Bytes">Its size.</param>
public sealed record CheckpointFile(string Name, string Processor, int Partition, long Entries, long Bytes);
