namespace FlowState;

/// <summary>One change delivered by <see cref="IStateStore.WatchAsync"/>, in version order.</summary>
/// <param name="Scope">The scope of the changed key.</param>
/// <param name="Key">The key, relative to <paramref name="Scope"/>.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Version">
/// The version of the write. Changes of one batch share a version; removals by expiry or eviction carry
/// the removed entry's version.
/// </param>
/// <param name="Value">The new value as UTF-8 JSON for <see cref="StateChangeKind.Set"/> and
/// <see cref="StateChangeKind.Merged"/>; empty otherwise.</param>
public sealed record StateChange(StateScope Scope, string Key, StateChangeKind Kind, long Version, ReadOnlyMemory<byte> Value)
{
    /// <summary>Display form: <c>Set workflow:run_1:counter @42</c>.</summary>
    public override string ToString() => $"{Kind} {Scope.Path}{Key} @{Version}";
}
