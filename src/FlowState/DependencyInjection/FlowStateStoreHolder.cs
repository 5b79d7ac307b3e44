namespace FlowState;

/// <summary>
/// The store <see cref="FlowStateServiceCollectionExtensions.AddFlowState"/> registered, opened once: asynchronously
/// when the host starts (<see cref="FlowStateStoreLifetime{TStore}"/>), or, outside a host, when it is first resolved.
/// A failed open is kept, so every later use sees the backend's error instead of trying again half way.
/// </summary>
internal sealed class FlowStateStoreHolder<TStore>(Func<Task<TStore>> open)
    where TStore : class, IAsyncDisposable
{
    // One open, shared by the host's start and any resolution: it is not cancelled when one of them stops waiting.
    private readonly Lazy<Task<TStore>> _opening = new(open, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Opens the store (once) and waits for it; <paramref name="cancellationToken"/> stops the waiting.</summary>
    public Task<TStore> OpenAsync(CancellationToken cancellationToken) => _opening.Value.WaitAsync(cancellationToken);

    /// <summary>The store, opening it now if nothing opened it yet (service factories are synchronous).</summary>
    public TStore Store => _opening.Value.GetAwaiter().GetResult();

    /// <summary>The store once it is open; null while it opens, before anything asked for it, or when opening failed.</summary>
    public TStore? OpenedStore => _opening.IsValueCreated && _opening.Value.IsCompletedSuccessfully ? _opening.Value.Result : null;

    /// <summary>Why opening failed, or null.</summary>
    public Exception? OpenFailure => _opening.IsValueCreated && _opening.Value.IsFaulted ? _opening.Value.Exception!.GetBaseException() : null;
}
