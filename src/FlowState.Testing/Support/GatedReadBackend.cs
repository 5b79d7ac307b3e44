namespace FlowState.Testing;

/// <summary>
/// A real backend whose point reads can be held at a gate: a test sees that a read has started and decides when it
/// may go on. Everything else goes to the real backend unchanged.
/// </summary>
internal sealed class GatedReadBackend(IStateBackend inner) : DelegatingStateBackend(inner)
{
    private TaskCompletionSource? _gate;

    /// <summary>Completes when a read reached the closed gate.</summary>
    public TaskCompletionSource ReadWaiting { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Holds every later read until <see cref="Open"/>.</summary>
    public void Close()
    {
        ReadWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Open() => _gate?.TrySetResult();

    public override async ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken)
    {
        if (_gate is { } gate)
        {
            ReadWaiting.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }

        return await base.GetAsync(scopeKey, key, cancellationToken);
    }
}
