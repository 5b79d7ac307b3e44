namespace FlowState;

/// <summary>One committed change as a shared backend's change feed reports it.</summary>
/// <param name="ScopeKey">The scope's storage key.</param>
/// <param name="Key">The key, relative to the scope.</param>
/// <param name="Deleted">True for a delete.</param>
/// <param name="Version">The commit's version.</param>
/// <param name="Value">The new value, or null for a delete or when the feed could not carry it (read it then).</param>
public sealed record SharedChangeNotice(string ScopeKey, string Key, bool Deleted, long Version, byte[]? Value);
