namespace FlowState.Streaming;

/// <summary>The ids of the last two checkpoints completed (0: none), published together so a reader never sees half.</summary>
internal sealed record CompletedCheckpoints(long Last, long Previous)
{
    public static readonly CompletedCheckpoints None = new(0, 0);
}
