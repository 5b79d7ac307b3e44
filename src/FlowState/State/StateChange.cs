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
    /// <summary>
    /// The version the key had before this change: 0 when it did not exist; null when the store cannot tell (the change
    /// feeds of shared stores say it only when their backend carries previous values: <c>IncludePreviousValues</c>). For an
    /// expiry or eviction it is the removed entry's version.
    /// </summary>
    public long? PreviousVersion { get; init; }

    /// <summary>
    /// The value the key had before this change, as UTF-8 JSON (for a delete, expiry or eviction: the value removed).
    /// Empty when the key did not exist, when the store cannot tell (<see cref="PreviousVersion"/> null), or when a
    /// store that pages values out of memory held the previous value only on disk (<see cref="PreviousVersion"/> above 0).
    /// </summary>
    public ReadOnlyMemory<byte> PreviousValue { get; init; }

    /// <summary>Display form: <c>Set workflow:run_1:counter @42</c>.</summary>
    public override string ToString() => $"{Kind} {Scope.Path}{Key} @{Version}";
}
