using FlowState.Flows;

namespace FlowState.Inspector;

/// <summary>
/// The inspected state for one request. A view over a store the inspector opened counts its readers: the store is
/// disposed when a newer view replaced it and the last request reading it is done.
/// </summary>
internal sealed class InspectedView(StateStore? local, SharedStateStore? shared, FlowRunner runner, string? stamp) : IAsyncDisposable
{
    // 1 for being the current view, plus 1 per reader; only views of opened stores (Stamp set) count.
    private int _references = 1;

    public string? Stamp => stamp;

    public FlowRunner Runner => runner;

    /// <summary>The store when it is a store of this process (statistics, history, writes); null for shared state.</summary>
    public StateStore? Local => local;

    public IStateStore For(StateScope scope) => local is not null ? local.For(scope) : shared!.For(scope);

    public bool TryAddReader()
    {
        while (true)
        {
            var references = Volatile.Read(ref _references);
            if (references == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, references + 1, references) == references)
            {
                return true;
            }
        }
    }

    /// <summary>No longer the current view: its store goes once its readers are done.</summary>
    public ValueTask RetireAsync() => ReleaseAsync();

    public ValueTask DisposeAsync() => stamp is null ? ValueTask.CompletedTask : ReleaseAsync();

    private ValueTask ReleaseAsync() =>
        Interlocked.Decrement(ref _references) == 0 && local is not null ? local.DisposeAsync() : ValueTask.CompletedTask;
}
