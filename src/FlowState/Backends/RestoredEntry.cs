namespace FlowState;

/// <summary>
/// An entry read back from a copy of state (a checkpoint's file) for a bulk restore, as a value: a million of them are
/// one array, not a million objects that each survive every collection until the restore ends.
/// </summary>
/// <param name="ScopeKey">The scope's storage key.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">The value (UTF-8 JSON), or null for a tombstone (the key was deleted).</param>
/// <param name="ExpiresAtUtcTicks">When it expires (UTC ticks), 0 for never.</param>
/// <param name="TimeToLiveTicks">Its time to live, 0 for none.</param>
/// <param name="Sliding">Whether reads renew its time to live.</param>
internal readonly record struct RestoredEntry(string ScopeKey, string Key, byte[]? Value, long ExpiresAtUtcTicks, long TimeToLiveTicks, bool Sliding)
{
    public bool IsTombstone => Value is null;
}
