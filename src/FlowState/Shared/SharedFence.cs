namespace FlowState;

/// <summary>The lease check every write of a fenced <see cref="SharedStateStore"/> carries: the lease entry must still have the lease's token as version.</summary>
internal sealed record SharedFence(StateScope Scope, string Key, RunLease Lease)
{
    public PreparedWrite ToCheck() => new(StateOperationKind.Check, Scope, Key, null, StateWriteOptions.IfVersion(Lease.FencingToken), inheritTimeToLive: false);

    public SharedChange ToChange() => new(SharedChangeKind.Check, Scope.StorageKey, Key, Lease.FencingToken);

    /// <summary>True for the run's lease and fence entries, which a fenced clear of the run keeps.</summary>
    public bool Guards(string scopeKey, string key) =>
        scopeKey == Scope.StorageKey && key is RunLeases.FenceKey or RunLeases.LeaseKey;

    /// <summary>The error of a commit the fence check refused: the fence entry had moved on to <paramref name="actual"/>.</summary>
    public RunLeaseLostException Lost(long actual, int attempts) =>
        RunLeases.Lost(Lease, StateStore.Conflict(Scope, Key, Lease.FencingToken, actual, attempts));
}
