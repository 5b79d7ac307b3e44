namespace FlowState;

/// <summary>One entry as a backend stores it.</summary>
/// <param name="ScopeKey">The scope's <see cref="StateScope.StorageKey"/> (injective).</param>
/// <param name="Key">The key, relative to the scope.</param>
/// <param name="Value">The value as UTF-8 JSON.</param>
/// <param name="Version">The entry's version.</param>
/// <param name="ExpiresAtUtcTicks">Expiry as UTC ticks; 0 when the entry does not expire.</param>
/// <param name="TimeToLiveTicks">The time to live it was written with (0: none), reused by later merges and updates.</param>
/// <param name="Sliding">Whether reads renew the expiry (renewals are not persisted).</param>
public sealed record BackendEntry(string ScopeKey, string Key, byte[] Value, long Version, long ExpiresAtUtcTicks, long TimeToLiveTicks, bool Sliding);
