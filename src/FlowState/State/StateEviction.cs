namespace FlowState;

/// <summary>Passed to <see cref="StateStoreOptions.OnEvicted"/> when an entry leaves the store.</summary>
/// <param name="Scope">The scope of the entry.</param>
/// <param name="Key">The key, relative to <paramref name="Scope"/>.</param>
/// <param name="Value">The value that left, as UTF-8 JSON.</param>
/// <param name="Version">The version of the value that left.</param>
/// <param name="Reason">Why it left.</param>
public sealed record StateEviction(StateScope Scope, string Key, ReadOnlyMemory<byte> Value, long Version, EvictionReason Reason)
{
    /// <summary>The display path of the scope, e.g. <c>workflow:run_1:</c>.</summary>
    public string ScopePath => Scope.Path;
}
