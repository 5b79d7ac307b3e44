namespace FlowState.Lua.Interop;

/// <summary>
/// One state API a script sees (<c>State</c>, <c>workflow.state</c> or <c>step.state</c>) and the stores behind it.
/// The stores are looked up per call because a script's explicit commit starts a new transaction.
/// </summary>
/// <param name="Path">The API's name in Lua: <c>State</c>, <c>workflow.state</c> or <c>step.state</c>.</param>
/// <param name="Reader">Where reads go.</param>
/// <param name="Writer">Where writes go; null when the API is read-only here.</param>
/// <param name="ReadOnlyReason">Why writes are refused, said to the script when <paramref name="Writer"/> is null.</param>
internal sealed record LuaStateBinding(string Path, Func<IStateReader> Reader, Func<IStateStore>? Writer, string? ReadOnlyReason = null)
{
    public IStateStore WriterOrThrow() =>
        Writer?.Invoke() ?? throw new LuaCallException($"{Path} is read-only here: {ReadOnlyReason ?? "this script may not write state"}");
}
