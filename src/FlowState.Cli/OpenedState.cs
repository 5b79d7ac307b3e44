namespace FlowState.Cli;

/// <summary>The store a state command works on: a <see cref="StateStore"/> of this process, or a <see cref="SharedStateStore"/>.</summary>
internal sealed class OpenedState : IAsyncDisposable
{
    private readonly StateStore? _local;
    private readonly SharedStateStore? _shared;

    public OpenedState(StateStore local) => _local = local;

    public OpenedState(SharedStateStore shared) => _shared = shared;

    public IStateStore For(StateScope scope) => _local is not null ? _local.For(scope) : _shared!.For(scope);

    /// <summary>The store itself: what a Lua host runs on.</summary>
    public IStateStore Root => _local is not null ? _local : _shared!;

    public ValueTask DisposeAsync() => _local is not null ? _local.DisposeAsync() : _shared!.DisposeAsync();
}
