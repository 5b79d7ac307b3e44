namespace FlowState;

/// <summary>
/// How one commit reaches the backend: at <see cref="Durability"/>, or — with <see cref="Deferred"/> — not yet: its
/// changed keys are noted there and written later, whole, by <see cref="StateStore.FlushDeferredAsync"/>.
/// </summary>
internal readonly record struct CommitMode(Durability Durability, DeferredWrites? Deferred = null)
{
    public static implicit operator CommitMode(Durability durability) => new(durability);

    /// <summary>Whether the writer waits for the backend (and so holds a slot of the commit queue).</summary>
    public bool Waits => Deferred is null && Durability != Durability.None;
}
