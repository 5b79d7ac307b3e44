using System.Threading.Channels;

namespace FlowState.Streaming;

/// <summary>
/// One run of a pipeline: the channels between operators (one per producer and consumer, bounded) and one task per
/// source, processor partition and sink. The first failure cancels every task.
/// </summary>
internal sealed class PipelineRun : IAsyncDisposable
{
    private readonly PipelineContext _pipeline;
    private readonly CheckpointCoordinator _coordinator;
    private readonly StreamStateTracker _tracker;
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenSource _stopPeriodic;
    private readonly CancellationToken _callerToken;
    private readonly List<Task> _tasks = [];
    private readonly Lock _faultLock = new();
    private Exception? _failure;
    private int _preCommitted;

    public PipelineRun(PipelineContext pipeline, CheckpointCoordinator coordinator, CancellationToken cancellationToken)
    {
        _pipeline = pipeline;
        _coordinator = coordinator;
        _tracker = pipeline.Tracker;
        _callerToken = cancellationToken;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _stopPeriodic = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
    }

    public int ActiveTransactions =>
        Volatile.Read(ref _preCommitted) + _pipeline.Sinks.OfType<TwoPhaseCommitSink>().Count(s => s.HasOpenTransaction);

    public async Task ExecuteAsync()
    {
        var options = _pipeline.Options;
        var partitions = options.Partitions;
        var sources = _pipeline.Sources;
        var processors = _pipeline.Processors;
        var sinks = _pipeline.Sinks;

        // inputs[layer][consumer][producer]: layer 0 is the first processor (or the sinks when there is none).
        var layers = processors.Count + (sinks.Count > 0 ? 1 : 0);
        var inputs = new Channel<StreamEvent>[layers][][];
        for (var layer = 0; layer < layers; layer++)
        {
            var consumers = layer < processors.Count ? partitions : sinks.Count;
            var producers = layer == 0 ? sources.Count : partitions;
            inputs[layer] = [.. Enumerable.Range(0, consumers).Select(_ => Enumerable.Range(0, producers).Select(_ => NewChannel(options.ChannelCapacity)).ToArray())];
        }

        EdgeRouter RouterFor(int layer, int producer) =>
            layer >= layers
                ? new EdgeRouter([], byKey: false)
                : new EdgeRouter([.. inputs[layer].Select(consumer => consumer[producer].Writer)], byKey: layer < processors.Count);

        for (var i = 0; i < sources.Count; i++)
        {
            var worker = new SourceWorker(_pipeline, _coordinator, sources[i], RouterFor(0, i));
            Start(() => worker.RunAsync(_stop.Token), $"source '{sources[i].Name}'");
        }

        for (var stage = 0; stage < processors.Count; stage++)
        {
            for (var partition = 0; partition < partitions; partition++)
            {
                var worker = new ProcessorWorker(
                    _pipeline, _coordinator, _tracker, stage, partition,
                    new BarrierAligner([.. inputs[stage][partition].Select(c => c.Reader)]),
                    RouterFor(stage + 1, partition),
                    terminal: sinks.Count == 0 && stage == processors.Count - 1,
                    onTerminalDrained: StartFinalCheckpoint);
                Start(() => worker.RunAsync(_stop.Token), $"processor '{processors[stage].Name}' partition {partition}");
            }
        }

        for (var i = 0; i < sinks.Count; i++)
        {
            var worker = new SinkWorker(
                _pipeline, _coordinator, sinks[i], new BarrierAligner([.. inputs[^1][i].Select(c => c.Reader)]), StartFinalCheckpoint, OnPreCommitted);
            Start(() => worker.RunAsync(_stop.Token), $"sink '{sinks[i].Name}'");
        }

        if (options.CheckpointInterval is { } interval)
        {
            Start(() => PeriodicCheckpointsAsync(interval, _stopPeriodic.Token), "periodic checkpoints");
        }

        while (true)
        {
            Task[] running;
            lock (_tasks)
            {
                running = [.. _tasks];
            }

            await Task.WhenAll(running.Select(t => t.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default))).ConfigureAwait(false);
            lock (_tasks)
            {
                if (_tasks.Count == running.Length)
                {
                    break;
                }
            }
        }

        // A checkpoint whose acknowledgements all arrived completes (or fails) before the run reports its end.
        await _coordinator.SettleAsync().ConfigureAwait(false);
        _callerToken.ThrowIfCancellationRequested();
        if (_failure is not null)
        {
            throw new StreamException($"Pipeline '{_pipeline.Name}' failed: {_failure.Message}", _failure);
        }
    }

    public void Fault(Exception failure)
    {
        lock (_faultLock)
        {
            if (_failure is not null || (failure is OperationCanceledException && _stop.IsCancellationRequested))
            {
                return;
            }

            _failure = failure;
        }

        _coordinator.Fail(failure);
        _stop.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        _coordinator.Fail(_failure ?? new OperationCanceledException("The run ended."));
        _stopPeriodic.Dispose();
        _stop.Dispose();
    }

    internal void CommittedSinkTransactions(int count) => Interlocked.Add(ref _preCommitted, -count);

    private void OnPreCommitted() => Interlocked.Increment(ref _preCommitted);

    private static Channel<StreamEvent> NewChannel(int capacity) =>
        Channel.CreateBounded<StreamEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

    private void Start(Func<Task> work, string what)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested || _stopPeriodic.IsCancellationRequested)
            {
                // Stopped because something else failed or the caller stopped the run.
            }
            catch (Exception ex)
            {
                Fault(ex is StreamException or StateException ? ex : new StreamException($"{what}: {ex.Message}", ex));
            }
        });
        lock (_tasks)
        {
            _tasks.Add(task);
        }
    }

    private void StartFinalCheckpoint() =>
        Start(
            async () =>
            {
                await _coordinator.TriggerAsync(final: true, _stop.Token).ConfigureAwait(false);
                await _stopPeriodic.CancelAsync().ConfigureAwait(false);
            },
            "final checkpoint");

    private async Task PeriodicCheckpointsAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            try
            {
                await _coordinator.TriggerAsync(final: false, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                return;
            }
            catch (CheckpointException ex) when (_coordinator.WasTolerated(ex))
            {
                // Logged by the coordinator; the next checkpoint is due as usual.
            }
        }
    }
}
