namespace FlowState;

/// <summary>
/// The check every write of a fenced <see cref="SharedStateStore"/> carries: the fence entry (<paramref name="Scope"/>,
/// <paramref name="Key"/>) must still have <paramref name="Token"/> as its version. A clear through the fenced store
/// keeps the <paramref name="GuardedKeys"/> of the fence's scope; a refused check is turned into the owner's error by
/// <paramref name="Lost"/> (the conflict it saw).
/// </summary>
internal sealed record SharedFence(StateScope Scope, string Key, long Token, IReadOnlyList<string> GuardedKeys, Func<StateConflictException, Exception> Lost)
{
    public PreparedWrite ToCheck() => new(StateOperationKind.Check, Scope, Key, null, StateWriteOptions.IfVersion(Token), inheritTimeToLive: false);

    public SharedChange ToChange() => new(SharedChangeKind.Check, Scope.StorageKey, Key, Token);

    /// <summary>True for the entries a fenced clear keeps (the lease and the fence itself).</summary>
    public bool Guards(string scopeKey, string key) => scopeKey == Scope.StorageKey && GuardedKeys.Contains(key);

    /// <summary>The error of a commit the fence check refused: the fence entry had moved on to <paramref name="actual"/>.</summary>
    public Exception Refused(long actual, int attempts) => Lost(StateStore.Conflict(Scope, Key, Token, actual, attempts));
}
