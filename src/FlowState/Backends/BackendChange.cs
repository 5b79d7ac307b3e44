namespace FlowState;

/// <summary>One change of a backend batch: an upsert of <see cref="Entry"/>, or a delete of (<see cref="ScopeKey"/>, <see cref="Key"/>).</summary>
public sealed record BackendChange
{
    private BackendChange(string scopeKey, string key, BackendEntry? entry)
    {
        ScopeKey = scopeKey;
        Key = key;
        Entry = entry;
    }

    /// <summary>The scope's storage key.</summary>
    public string ScopeKey { get; }

    /// <summary>The key, relative to the scope.</summary>
    public string Key { get; }

    /// <summary>The entry to write, or null for a delete.</summary>
    public BackendEntry? Entry { get; }

    /// <summary>True for a delete.</summary>
    public bool IsDelete => Entry is null;

    /// <summary>An insert or replace.</summary>
    public static BackendChange Upsert(BackendEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new BackendChange(entry.ScopeKey, entry.Key, entry);
    }

    /// <summary>A delete (of a key that may not exist).</summary>
    public static BackendChange Delete(string scopeKey, string key) => new(scopeKey, key, null);
}
