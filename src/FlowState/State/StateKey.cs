namespace FlowState;

/// <summary>A key together with the scope it lives in.</summary>
/// <param name="Scope">The scope of the key.</param>
/// <param name="Key">The key, relative to <paramref name="Scope"/>.</param>
public readonly record struct StateKey(StateScope Scope, string Key)
{
    /// <summary>Display form: scope path followed by the key, e.g. <c>workflow:run_1:step:fetch:cursor</c>.</summary>
    public override string ToString() => Scope.Path + Key;
}
