namespace FlowState.Flows;

/// <summary>
/// One enumeration of a watcher's events: each move reads the watcher's buffer directly (no iterator between them).
/// A stream's enumeration subscribes and starts its run at its first move; disposing unsubscribes the watcher and, for
/// a stream, waits for its run to end.
/// </summary>
internal sealed class RunEventEnumerator : IAsyncEnumerator<FlowEvent>
{
    private readonly RunEventHub _hub;
    private readonly CancellationToken _readToken;
    private readonly CancellationTokenSource? _linked;
    private readonly string? _runId;
    private readonly Func<CancellationToken, Task<FlowRunResult>>? _start;
    private readonly CancellationToken _runToken;
    private RunEventStream? _stream;
    private RunEventBuffer? _buffer;
    private Task<FlowRunResult>? _run;
    private bool _disposed;

    /// <summary>An enumeration of a subscribed watcher, its reads cancelled by <paramref name="readToken"/>.</summary>
    public RunEventEnumerator(RunEventHub hub, RunEventStream stream, RunEventBuffer buffer, CancellationTokenSource? linked, CancellationToken readToken)
    {
        _hub = hub;
        _stream = stream;
        _buffer = buffer;
        _readToken = readToken;
        _linked = linked;
    }

    /// <summary>An enumeration that subscribes to <paramref name="runId"/> and starts the run at its first move; <paramref name="runToken"/> cancels the run.</summary>
    public RunEventEnumerator(RunEventHub hub, string runId, Func<CancellationToken, Task<FlowRunResult>> start, CancellationTokenSource? linked, CancellationToken runToken)
    {
        _hub = hub;
        _runId = runId;
        _start = start;
        _runToken = runToken;
        _linked = linked;
    }

    public FlowEvent Current => _buffer?.Current ?? throw new InvalidOperationException("MoveNextAsync has not been called.");

    public ValueTask<bool> MoveNextAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var buffer = _buffer ?? Start();
        var read = buffer.ReadAsync(_readToken);
        if (buffer.Ended)
        {
            // Read to the end: the watcher leaves now, as an iterator's finally would, even if nobody disposes the enumeration.
            Unsubscribe();
        }

        return read;
    }

    private RunEventBuffer Start()
    {
        var (stream, buffer) = _hub.Subscribe(_runId!);
        try
        {
            _run = _start!(_runToken);
        }
        catch
        {
            _hub.Unsubscribe(stream, buffer);
            throw;
        }

        (_stream, _buffer) = (stream, buffer);
        // A run that ends without a last event (it could not start) ends the stream with its exception.
        _ = _run.ContinueWith(
            static (ended, state) => ((RunEventBuffer)state!).Complete(ended.Exception?.InnerException ?? (ended.IsCanceled ? new OperationCanceledException() : null)),
            buffer,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return buffer;
    }

    private void Unsubscribe()
    {
        if (_stream is { } stream)
        {
            _stream = null;
            _hub.Unsubscribe(stream, _buffer!);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Unsubscribe();

        if (_run is { } run)
        {
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (Exception) when (run.IsFaulted || run.IsCanceled)
            {
                // Reported: as the run's last event, or by the enumeration itself.
            }
        }

        _linked?.Dispose();
    }
}
