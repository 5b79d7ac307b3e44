namespace JsonFileBackend;

/// <summary>An entry's place: its scope's storage key, then its key, both compared ordinally (the order scans return).</summary>
internal readonly record struct EntryKey(string ScopeKey, string Key) : IComparable<EntryKey>
{
    public int CompareTo(EntryKey other)
    {
        var byScope = string.CompareOrdinal(ScopeKey, other.ScopeKey);
        return byScope != 0 ? byScope : string.CompareOrdinal(Key, other.Key);
    }
}
