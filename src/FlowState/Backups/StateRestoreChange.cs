namespace FlowState;

/// <summary>One key a restore writes or deletes.</summary>
/// <param name="Scope">The key's scope.</param>
/// <param name="Key">The key.</param>
/// <param name="Kind">Added, changed or removed.</param>
public sealed record StateRestoreChange(StateScope Scope, string Key, StateRestoreChangeKind Kind);
