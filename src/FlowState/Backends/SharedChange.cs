namespace FlowState;

/// <summary>
/// One change of a <see cref="ISharedStateBackend.CommitAsync"/>: an upsert, delete or check of (<see cref="ScopeKey"/>,
/// <see cref="Key"/>), conditional on the entry's live version on the server.
/// </summary>
/// <param name="Kind">What the change does.</param>
/// <param name="ScopeKey">The scope's <see cref="StateScope.StorageKey"/>.</param>
/// <param name="Key">The key, relative to the scope.</param>
/// <param name="ExpectedVersion">
/// The live version the entry must have for the commit to go ahead: null for any, 0 for absent (an expired entry
/// counts as absent).
/// </param>
/// <param name="Value">The value as UTF-8 JSON (upserts only).</param>
/// <param name="ExpiresAtUtcTicks">Expiry as UTC ticks; 0 when the entry does not expire (upserts only).</param>
/// <param name="TimeToLiveTicks">The time to live the entry was written with (0: none).</param>
/// <param name="Sliding">Whether reads renew the expiry.</param>
public sealed record SharedChange(
    SharedChangeKind Kind,
    string ScopeKey,
    string Key,
    long? ExpectedVersion,
    byte[]? Value = null,
    long ExpiresAtUtcTicks = 0,
    long TimeToLiveTicks = 0,
    bool Sliding = false);
