namespace FlowState.Testing;

/// <summary>
/// A real backend whose next write can be made to fail the way a full disk fails it, after the test has had time to
/// queue more commits behind it: everything else goes to the real backend unchanged.
/// </summary>
internal sealed class FailingBackend(IStateBackend inner) : DelegatingStateBackend(inner)
{
    private TaskCompletionSource? _armed;

    /// <summary>The next write waits until <see cref="Fail"/>, then fails without reaching the real backend.</summary>
    public void Arm() => _armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the armed write fail.</summary>
    public void Fail() => _armed!.TrySetResult();

    public override async ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        if (_armed is { } armed)
        {
            await armed.Task.WaitAsync(cancellationToken);
            throw new IOException("No space left on device (injected by the test)");
        }

        await base.ApplyAsync(changes, durability, cancellationToken);
    }
}
