namespace FlowState;

/// <summary>The state a key will have when a commit succeeds; built before anything is changed.</summary>
internal sealed class PlannedKey(StateScope scope, string key, StateEntry? original)
{
    public StateScope Scope { get; } = scope;

    public string Key { get; } = key;

    public StateEntry? Original { get; } = original;

    public bool Exists { get; set; } = original is not null;

    // Null for a paged-out original until a merge needs it (StateStore reads it back then).
    public byte[]? Utf8Json { get; set; } = original?.ResidentUtf8Json;

    public long Version { get; set; } = original?.Version ?? 0;

    public long TimeToLiveTicks { get; set; } = original?.TimeToLiveTicks ?? 0;

    public bool Sliding { get; set; } = original?.Sliding ?? false;

    public bool Changed { get; set; }

    public StateChangeKind ChangeKind { get; set; }

    public int KeyBytes { get; } = System.Text.Encoding.UTF8.GetByteCount(key);

    public long NewSize => Exists ? Utf8Json!.Length + KeyBytes : 0;
}
