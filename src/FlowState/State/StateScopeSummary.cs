namespace FlowState;

/// <summary>A scope with the live entries and bytes of its subtree (<see cref="StateStore.ListChildScopes"/>).</summary>
/// <param name="Scope">The scope.</param>
/// <param name="Entries">Entries in it and its child scopes.</param>
/// <param name="Bytes">Bytes of those entries (UTF-8 key plus value).</param>
public sealed record StateScopeSummary(StateScope Scope, long Entries, long Bytes);
