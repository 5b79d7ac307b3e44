namespace FlowState.Flows;

/// <summary>
/// What <see cref="FlowRunner.WatchAsync"/> and <see cref="FlowRunner.StreamAsync"/> return: a watcher's events, read
/// from its buffer. A watch is subscribed when it is created; a stream subscribes and starts its run when its enumeration
/// starts, as an iterator method's body would, so each enumeration is a run of its own.
/// </summary>
internal sealed class RunEventReader : IAsyncEnumerable<FlowEvent>
{
    private readonly RunEventHub _hub;
    private readonly string _runId;
    private readonly Func<CancellationToken, Task<FlowRunResult>>? _start;
    private readonly CancellationToken _cancellationToken;
    private readonly (RunEventStream Stream, RunEventBuffer Buffer)? _watch;

    private RunEventReader(RunEventHub hub, string runId, Func<CancellationToken, Task<FlowRunResult>>? start, (RunEventStream, RunEventBuffer)? watch, CancellationToken cancellationToken)
    {
        _hub = hub;
        _runId = runId;
        _start = start;
        _watch = watch;
        _cancellationToken = cancellationToken;
    }

    /// <summary>A watcher of <paramref name="runId"/>, subscribed now; reading is cancelled by <paramref name="cancellationToken"/>.</summary>
    public static RunEventReader Watch(RunEventHub hub, string runId, CancellationToken cancellationToken) =>
        new(hub, runId, null, hub.Subscribe(runId), cancellationToken);

    /// <summary>A run started by <paramref name="start"/> when the enumeration starts, and its events; <paramref name="cancellationToken"/> cancels the run.</summary>
    public static RunEventReader Stream(RunEventHub hub, string runId, Func<CancellationToken, Task<FlowRunResult>> start, CancellationToken cancellationToken) =>
        new(hub, runId, start, null, cancellationToken);

    public IAsyncEnumerator<FlowEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var token = Combine(cancellationToken, out var linked);
        if (_start is null)
        {
            var (stream, buffer) = _watch!.Value;
            return new RunEventEnumerator(_hub, stream, buffer, linked, token);
        }

        // As the iterator method was: either token cancels the run, neither the reading (the run's last event ends it).
        return new RunEventEnumerator(_hub, _runId, _start, linked, token);
    }

    private CancellationToken Combine(CancellationToken other, out CancellationTokenSource? linked)
    {
        linked = null;
        if (!other.CanBeCanceled || other == _cancellationToken)
        {
            return _cancellationToken;
        }

        if (!_cancellationToken.CanBeCanceled)
        {
            return other;
        }

        linked = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken, other);
        return linked.Token;
    }
}
