namespace FlowState;

/// <summary>What <see cref="IStateStore.ClearAsync(StateClearExtent, CancellationToken)"/> deletes.</summary>
public enum StateClearExtent
{
    /// <summary>Every key of the scope and of all its child scopes (a run with its steps; the global scope with everything).</summary>
    Subtree,

    /// <summary>Only the scope's own keys; child scopes keep theirs (the global keys without any run's state).</summary>
    ScopeOnly,
}
