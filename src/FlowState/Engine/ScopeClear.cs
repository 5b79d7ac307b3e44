namespace FlowState;

/// <summary>A clear on its way to the write lock: the scope, and whether its child scopes go too.</summary>
internal sealed record ScopeClear
{
    public ScopeClear(StateScope scope, StateClearExtent extent)
    {
        Scope = scope;
        Extent = Checked(extent);
    }

    public StateScope Scope { get; }

    public StateClearExtent Extent { get; }

    public bool IncludesChildScopes => Extent == StateClearExtent.Subtree;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="extent"/> is not a defined value.</exception>
    public static StateClearExtent Checked(StateClearExtent extent) => Enum.IsDefined(extent)
        ? extent
        : throw new ArgumentOutOfRangeException(nameof(extent), extent, $"Clear with {nameof(StateClearExtent)}.{nameof(StateClearExtent.Subtree)} (the scope and its child scopes) or {nameof(StateClearExtent)}.{nameof(StateClearExtent.ScopeOnly)} (its own keys).");
}
