namespace FlowState;

/// <summary>A scope a checkpoint's entries are restored into, and how many of them it holds.</summary>
/// <param name="StorageKey">The scope's storage key, the string the checkpoint's entries of it share.</param>
/// <param name="Scope">The scope.</param>
internal sealed record RestoredScope(string StorageKey, StateScope Scope)
{
    /// <summary>How many of the checkpoint's entries are of this scope.</summary>
    public int Entries { get; set; }
}
