namespace FlowState.Flows;

/// <summary>
/// The events of one run in this process and the watchers that receive them. Publishing costs one volatile read while
/// nobody watches; with watchers, events are numbered and written to every watcher's bounded channel in one order
/// (one publisher at a time), and a full channel makes the run wait.
/// </summary>
internal sealed class RunEventStream(string runId, int capacity)
{
    // The publishing turn: 1 while a publisher holds it. Taken with one compare-exchange when free (a SemaphoreSlim's
    // two monitor enters a publish were a visible part of a watched step); contended publishers queue for it, and the
    // holder hands it to the first of them still waiting.
    private readonly Lock _turnLock = new();
    private readonly Queue<TaskCompletionSource> _turnWaiters = new();
    private int _turn;
    private int _turnWaiting;
    private readonly Lock _watchersLock = new();
    private RunEventBuffer[] _watchers = [];
    private long _sequence;

    public string RunId { get; } = runId;

    /// <summary>Executions of the run in this process publishing to the stream (guarded by the hub's lock).</summary>
    public int Executions { get; set; }

    public bool IsWatched => Volatile.Read(ref _watchers).Length != 0;

    public RunEventBuffer Subscribe()
    {
        var watcher = new RunEventBuffer(capacity);
        lock (_watchersLock)
        {
            _watchers = [.. _watchers, watcher];
        }

        return watcher;
    }

    /// <summary>Removes a watcher; a publisher waiting for room in its buffer goes on.</summary>
    /// <returns>Whether any watcher is left.</returns>
    public bool Unsubscribe(RunEventBuffer watcher)
    {
        watcher.Leave();
        lock (_watchersLock)
        {
            _watchers = Array.FindAll(_watchers, w => w != watcher);
            return _watchers.Length != 0;
        }
    }

    /// <summary>Numbers <paramref name="flowEvent"/> and hands it to every watcher; after a run's last event, their streams end.</summary>
    public ValueTask PublishAsync(FlowEvent flowEvent, CancellationToken cancellationToken)
    {
        // The common case, every watcher keeping up, completes without an asynchronous state machine: a step publishes
        // twice, and the machine was a visible part of a watched step's cost.
        if (Interlocked.CompareExchange(ref _turn, 1, 0) != 0)
        {
            return PublishWhenFreeAsync(flowEvent, cancellationToken);
        }

        var handedOver = false;
        try
        {
            flowEvent.Sequence = ++_sequence;
            var watchers = Volatile.Read(ref _watchers);
            for (var i = 0; i < watchers.Length; i++)
            {
                if (!watchers[i].TryWrite(flowEvent))
                {
                    // Full: the rest is written asynchronously, still holding the publishing turn.
                    handedOver = true;
                    return WriteFromAsync(flowEvent, watchers, i, cancellationToken);
                }

                if (flowEvent.IsFinal)
                {
                    watchers[i].Complete();
                }
            }

            return ValueTask.CompletedTask;
        }
        finally
        {
            if (!handedOver)
            {
                ReleaseTurn();
            }
        }
    }

    private async ValueTask PublishWhenFreeAsync(FlowEvent flowEvent, CancellationToken cancellationToken)
    {
        await TakeTurnAsync(cancellationToken).ConfigureAwait(false);
        // Numbered once, by the one publisher at a time, before any watcher can see it.
        flowEvent.Sequence = ++_sequence;
        await WriteFromAsync(flowEvent, Volatile.Read(ref _watchers), 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes to the watchers from <paramref name="first"/> on, waiting for room, then frees the publishing turn.</summary>
    private async ValueTask WriteFromAsync(FlowEvent flowEvent, RunEventBuffer[] watchers, int first, CancellationToken cancellationToken)
    {
        try
        {
            for (var i = first; i < watchers.Length; i++)
            {
                await watchers[i].WriteAsync(flowEvent, cancellationToken).ConfigureAwait(false);

                if (flowEvent.IsFinal)
                {
                    watchers[i].Complete();
                }
            }
        }
        finally
        {
            ReleaseTurn();
        }
    }

    /// <summary>Waits for the publishing turn; cancelled, the caller does not hold it.</summary>
    private async Task TakeTurnAsync(CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_turnLock)
        {
            _turnWaiters.Enqueue(waiter);
            Interlocked.Increment(ref _turnWaiting);
        }

        // Freed after this publisher queued but before a holder saw it waiting: take it and give it to the first in line.
        if (Interlocked.CompareExchange(ref _turn, 1, 0) == 0)
        {
            HandTurnOn();
        }

        // Handed over and cancelled race for the waiter; whichever wins decides whether this publisher holds the turn.
        using (cancellationToken.UnsafeRegister(static (state, token) => ((TaskCompletionSource)state!).TrySetCanceled(token), waiter))
        {
            await waiter.Task.ConfigureAwait(false);
        }
    }

    private void ReleaseTurn()
    {
        Interlocked.Exchange(ref _turn, 0);
        if (Volatile.Read(ref _turnWaiting) != 0 && Interlocked.CompareExchange(ref _turn, 1, 0) == 0)
        {
            HandTurnOn();
        }
    }

    /// <summary>Gives the turn (held by the caller) to the first waiter not cancelled, or frees it when none is left.</summary>
    private void HandTurnOn()
    {
        lock (_turnLock)
        {
            while (_turnWaiters.TryDequeue(out var waiter))
            {
                Interlocked.Decrement(ref _turnWaiting);
                if (waiter.TrySetResult())
                {
                    return;
                }
            }

            Interlocked.Exchange(ref _turn, 0);
        }
    }

}
