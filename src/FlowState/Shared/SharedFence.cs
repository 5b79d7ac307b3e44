namespace FlowState;

/// <summary>The lease check every write of a fenced <see cref="SharedStateStore"/> carries: the lease entry must still have the lease's token as version.</summary>
internal sealed record SharedFence(StateScope Scope, string Key, RunLease Lease)
{
    public PreparedWrite ToCheck() => new(StateOperationKind.Check, Scope, Key, null, StateWriteOptions.IfVersion(Lease.FencingToken), inheritTimeToLive: false);

    public SharedChange ToChange() => new(SharedChangeKind.Check, Scope.StorageKey, Key, Lease.FencingToken);
}
