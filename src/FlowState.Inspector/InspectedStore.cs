using System.Globalization;
using FlowState.Flows;

namespace FlowState.Inspector;

/// <summary>
/// The store an inspector shows: a store of this process (what an app embeds), a store shared with other processes,
/// or a store file another process writes, reopened read-only whenever it changed (what <c>flowstate serve</c> uses).
/// </summary>
public sealed class InspectedStore : IAsyncDisposable
{
    private readonly StateStore? _local;
    private readonly SharedStateStore? _shared;
    private readonly FlowRunner? _runner;
    private readonly Func<CancellationToken, Task<StateStore>>? _open;
    private readonly Func<CancellationToken, ValueTask<string>>? _changeStamp;
    private readonly Func<StateStore, FlowRunner>? _runnerFor;
    private readonly SemaphoreSlim _reopening = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _watchStart = new();
    private InspectedView? _current;
    private long _sharedChanges;
    private Task? _sharedWatch;

    /// <summary>Inspects <paramref name="store"/>, a store of this process; its runs are read through <paramref name="runner"/> (default: a runner with default options).</summary>
    /// <param name="store">The store.</param>
    /// <param name="runner">The runner its runs are read (and resumed) with.</param>
    /// <param name="description">What the page calls it (default: the store's name), e.g. <c>sqlite:/data/app.db</c>; no secrets.</param>
    public InspectedStore(StateStore store, FlowRunner? runner = null, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _local = store;
        _runner = runner ?? new FlowRunner(store);
        Description = description ?? store.Name;
    }

    /// <summary>Inspects <paramref name="store"/>, state shared with other processes (Redis, PostgreSQL).</summary>
    public InspectedStore(SharedStateStore store, FlowRunner? runner = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _shared = store;
        _runner = runner ?? new FlowRunner(store);
        Description = store.Description;
    }

    private InspectedStore(string description, Func<CancellationToken, Task<StateStore>> open, Func<CancellationToken, ValueTask<string>> changeStamp, Func<StateStore, FlowRunner>? runnerFor)
    {
        Description = description;
        _open = open;
        _changeStamp = changeStamp;
        _runnerFor = runnerFor;
    }

    /// <summary>What is inspected, for people (no connection strings).</summary>
    public string Description { get; }

    /// <summary>The runner whose runs execute in this process (its run events are forwarded); null for a reopened store.</summary>
    internal FlowRunner? RunnerInThisProcess => _runner;

    /// <summary>Whether this is state shared with other processes.</summary>
    public bool IsShared => _shared is not null;

    /// <summary>
    /// Inspects a store that another process may be writing: <paramref name="open"/> opens it (read-only, so that
    /// it takes no lock the writer needs) whenever <paramref name="changeStamp"/> (e.g. the files' sizes and times)
    /// differs from when it was last opened. The inspector owns the stores it opens and disposes them.
    /// </summary>
    /// <param name="description">What is inspected, for people.</param>
    /// <param name="open">Opens the store.</param>
    /// <param name="changeStamp">A text that changes when the store's content may have.</param>
    /// <param name="runnerFor">The runner for an opened store (default: a runner with default options).</param>
    public static InspectedStore Reopening(string description, Func<CancellationToken, Task<StateStore>> open, Func<string> changeStamp, Func<StateStore, FlowRunner>? runnerFor = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(changeStamp);
        return new InspectedStore(description, open, _ => ValueTask.FromResult(changeStamp()), runnerFor);
    }

    /// <summary>
    /// Inspects a store that another process may be writing, as <see cref="Reopening(string, Func{CancellationToken, Task{StateStore}}, Func{string}, Func{StateStore, FlowRunner}?)"/>
    /// does, with a change stamp that must be asked for over the network (e.g. a database's), so asked asynchronously.
    /// </summary>
    /// <param name="description">What is inspected, for people.</param>
    /// <param name="open">Opens the store.</param>
    /// <param name="changeStamp">A text that changes when the store's content may have.</param>
    /// <param name="runnerFor">The runner for an opened store (default: a runner with default options).</param>
    public static InspectedStore Reopening(string description, Func<CancellationToken, Task<StateStore>> open, Func<CancellationToken, ValueTask<string>> changeStamp, Func<StateStore, FlowRunner>? runnerFor = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(changeStamp);
        return new InspectedStore(description, open, changeStamp, runnerFor);
    }

    /// <summary>Disposes the stores this inspector opened (never one it was given).</summary>
    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        if (_sharedWatch is { } watch)
        {
            await watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (Interlocked.Exchange(ref _current, null) is { } current)
        {
            await current.RetireAsync().ConfigureAwait(false);
        }

        _disposed.Dispose();
        _reopening.Dispose();
    }

    /// <summary>A text that changes whenever the inspected state may have changed.</summary>
    internal ValueTask<string> ChangeStampAsync(CancellationToken cancellationToken)
    {
        if (_local is not null)
        {
            return ValueTask.FromResult(_local.CurrentVersion.ToString(CultureInfo.InvariantCulture));
        }

        if (_shared is not null)
        {
            lock (_watchStart)
            {
                // WatchAsync registers the watch when called, so every change from here on is counted.
                _sharedWatch ??= CountChangesAsync(_shared.WatchAsync(null, _disposed.Token));
            }

            return ValueTask.FromResult(Interlocked.Read(ref _sharedChanges).ToString(CultureInfo.InvariantCulture));
        }

        return _changeStamp!(cancellationToken);
    }

    /// <summary>The state as of now; dispose the view when done with it.</summary>
    internal async ValueTask<InspectedView> AcquireAsync(CancellationToken cancellationToken)
    {
        if (_local is not null)
        {
            return new InspectedView(_local, null, _runner!, null);
        }

        if (_shared is not null)
        {
            return new InspectedView(null, _shared, _runner!, null);
        }

        var stamp = await _changeStamp!(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _current) is { } current && current.Stamp == stamp && current.TryAddReader())
        {
            return current;
        }

        await _reopening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            stamp = await _changeStamp!(cancellationToken).ConfigureAwait(false);
            current = Volatile.Read(ref _current);
            if (current is not null && current.Stamp == stamp && current.TryAddReader())
            {
                return current;
            }

            var store = await _open!(cancellationToken).ConfigureAwait(false);
            var view = new InspectedView(store, null, _runnerFor?.Invoke(store) ?? new FlowRunner(store), stamp);
            view.TryAddReader();
            if (Interlocked.Exchange(ref _current, view) is { } previous)
            {
                await previous.RetireAsync().ConfigureAwait(false);
            }

            return view;
        }
        finally
        {
            _reopening.Release();
        }
    }

    private async Task CountChangesAsync(IAsyncEnumerable<StateChange> changes)
    {
        try
        {
            await foreach (var _ in changes.ConfigureAwait(false))
            {
                Interlocked.Increment(ref _sharedChanges);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}
