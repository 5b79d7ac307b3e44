using System.Threading.Tasks.Sources;

namespace FlowState.Flows;

/// <summary>
/// One watcher's unread events: a bounded queue that the run's publisher writes and the watcher reads, one reader and
/// one writer at a time. A read that finds it empty waits, and the next event is handed straight to it: the watcher goes
/// on inline, on the publisher's thread, as soon as the event is written. A full queue makes the writer wait; a watcher
/// that left takes every later event without keeping it.
/// </summary>
/// <remarks>
/// Written for the handover of a step's events rather than taken from <c>System.Threading.Channels</c>: a bounded
/// channel read through an async iterator takes four lock turns and two continuations for each event a waiting watcher
/// gets, this takes two and one — at SQLite <c>Process</c> a watched step's visible cost (docs/performance.md).
/// </remarks>
internal sealed class RunEventBuffer(int capacity) : IValueTaskSource<bool>
{
    private readonly Lock _lock = new();
    private readonly Queue<FlowEvent> _events = new();
    // Continuations run where the result is set: on the publisher, as a channel with synchronous continuations did.
    private ManualResetValueTaskSourceCore<bool> _read;
    private bool _reading;
    private FlowEvent? _handed;
    private CancellationTokenRegistration _readCancellation;
    private TaskCompletionSource? _room;
    private bool _completed;
    private bool _left;
    private Exception? _error;

    /// <summary>Whether a read found the events completed and all read.</summary>
    public bool Ended { get; private set; }

    /// <summary>The event the last successful read returned.</summary>
    public FlowEvent Current { get; private set; } = null!;

    /// <summary>Writes <paramref name="flowEvent"/> unless the queue is full; a watcher that left takes it without keeping it.</summary>
    public bool TryWrite(FlowEvent flowEvent)
    {
        lock (_lock)
        {
            if (_left || _completed)
            {
                return true;
            }

            if (!_reading)
            {
                if (_events.Count >= capacity)
                {
                    return false;
                }

                _events.Enqueue(flowEvent);
                return true;
            }

            _reading = false;
            _handed = flowEvent;
        }

        EndRead(true, null);
        return true;
    }

    /// <summary>Writes <paramref name="flowEvent"/>, waiting for room while the queue is full.</summary>
    public async ValueTask WriteAsync(FlowEvent flowEvent, CancellationToken cancellationToken)
    {
        while (!TryWrite(flowEvent))
        {
            Task room;
            lock (_lock)
            {
                // Read from meanwhile, or left: try again.
                if (_events.Count < capacity || _left || _completed)
                {
                    continue;
                }

                room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>No event follows: a read past the last one ends (or throws <paramref name="error"/>).</summary>
    public void Complete(Exception? error = null)
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            _error = error;
            if (!_reading)
            {
                return;
            }

            _reading = false;
        }

        EndRead(false, error);
    }

    /// <summary>The watcher left: what is queued is dropped, a writer waiting for room goes on, later events are not kept.</summary>
    public void Leave()
    {
        TaskCompletionSource? room;
        lock (_lock)
        {
            _left = true;
            _events.Clear();
            room = _room;
            _room = null;
        }

        room?.TrySetResult();
    }

    /// <summary>
    /// Reads the next event into <see cref="Current"/>: true, or false once the events are completed and all read. Waits
    /// for the next event when none is queued; throws the error the events were completed with.
    /// </summary>
    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource? room = null;
        var waits = false;
        lock (_lock)
        {
            if (_events.TryDequeue(out var queued))
            {
                Current = queued;
                room = _room;
                _room = null;
            }
            else if (_completed)
            {
                Ended = true;
                return _error is null ? new(false) : ValueTask.FromException<bool>(_error);
            }
            else
            {
                cancellationToken.ThrowIfCancellationRequested();
                _read.Reset();
                _reading = waits = true;
            }
        }

        if (!waits)
        {
            room?.TrySetResult();
            return new(true);
        }

        var version = _read.Version;
        if (cancellationToken.CanBeCanceled)
        {
            _readCancellation = cancellationToken.UnsafeRegister(static (state, token) => ((RunEventBuffer)state!).CancelRead(token), this);
        }

        return new(this, version);
    }

    private void CancelRead(CancellationToken token)
    {
        lock (_lock)
        {
            if (!_reading)
            {
                return;
            }

            _reading = false;
        }

        EndRead(false, new OperationCanceledException(token));
    }

    private void EndRead(bool read, Exception? error)
    {
        if (error is not null)
        {
            _read.SetException(error);
        }
        else
        {
            _read.SetResult(read);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        _readCancellation.Unregister();
        _readCancellation = default;
        var read = _read.GetResult(token);
        if (read)
        {
            Current = _handed!;
            _handed = null;
        }

        return read;
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);
}
