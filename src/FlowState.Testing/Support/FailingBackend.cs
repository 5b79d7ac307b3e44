namespace FlowState.Testing;

/// <summary>
/// A real backend whose next write can be made to fail the way a full disk fails it, after the test has had time to
/// queue more commits behind it: everything else goes to the real backend unchanged.
/// </summary>
internal sealed class FailingBackend(IStateBackend inner) : IStateBackend
{
    private TaskCompletionSource? _armed;

    public string Description => inner.Description;

    /// <summary>The next write waits until <see cref="Fail"/>, then fails without reaching the real backend.</summary>
    public void Arm() => _armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the armed write fail.</summary>
    public void Fail() => _armed!.TrySetResult();

    public ValueTask OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);

    public IAsyncEnumerable<BackendEntry> ScanAsync(string scopeKeyPrefix, CancellationToken cancellationToken) =>
        inner.ScanAsync(scopeKeyPrefix, cancellationToken);

    public ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken) =>
        inner.GetAsync(scopeKey, key, cancellationToken);

    public async ValueTask ApplyAsync(IReadOnlyList<BackendChange> changes, Durability durability, CancellationToken cancellationToken)
    {
        if (_armed is { } armed)
        {
            await armed.Task.WaitAsync(cancellationToken);
            throw new IOException("No space left on device (injected by the test)");
        }

        await inner.ApplyAsync(changes, durability, cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
