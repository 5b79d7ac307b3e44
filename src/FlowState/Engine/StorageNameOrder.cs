namespace FlowState;

/// <summary>
/// The one order of stored names: by the scope's storage key, then the key, both ordinal — for listings, exports and
/// backups, so that two of them list the same entries in the same order.
/// </summary>
internal static class StorageNameOrder
{
    /// <summary>Entries by scope, then key.</summary>
    public static readonly Comparison<BackendEntry> Entries = static (a, b) => Compare(a.ScopeKey, a.Key, b.ScopeKey, b.Key);

    /// <summary>(scope storage key, key) pairs by scope, then key.</summary>
    public static readonly Comparer<(string ScopeKey, string Key)> Pairs = Comparer<(string ScopeKey, string Key)>.Create(static (a, b) => Compare(a.ScopeKey, a.Key, b.ScopeKey, b.Key));

    /// <summary>Compares the name (<paramref name="scopeA"/>, <paramref name="keyA"/>) with (<paramref name="scopeB"/>, <paramref name="keyB"/>).</summary>
    public static int Compare(string scopeA, string keyA, string scopeB, string keyB) =>
        string.CompareOrdinal(scopeA, scopeB) is var byScope && byScope != 0 ? byScope : string.CompareOrdinal(keyA, keyB);
}
