namespace FlowState.Streaming;

/// <summary>
/// Exactly-once keyed state for a processing loop you own — ArkFlow's <c>StateManager</c>, adapted: you hand it batches
/// (<see cref="ProcessBatchAsync"/>), it runs them through a <see cref="StreamPipeline"/>'s processors and sinks, and
/// checkpoints state, your input's position and pending sink transactions together.
/// </summary>
/// <remarks>
/// <para>
/// The input is a source named <see cref="InputName"/> whose offset is the count of messages read. After a start or a
/// recovery, <see cref="Position"/> is how many of your messages the restored state already includes: resend from
/// there (your own log, queue or topic keeps them), and the output stays exactly-once. A message without an id gets
/// <c>input@{position}</c>, so an <see cref="ExactlyOnceProcessor"/> recognizes it when it is resent.
/// </para>
/// <para>
/// <see cref="ProcessBatchAsync"/> returns once the pipeline has read the batch; its effects on state and output are
/// complete and durable when the next checkpoint is (<see cref="CreateCheckpointAsync"/>, the periodic ones, or
/// <see cref="CompleteAsync"/>). Submit batches one after another (await each) to keep memory bounded.
/// </para>
/// </remarks>
public sealed class StateManager : IAsyncDisposable
{
    /// <summary>The name of the input source in checkpoints.</summary>
    public const string InputName = "input";

    private readonly PushSource _input;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private CancellationTokenSource _stop = new();
    private Task<StreamRunResult> _run = Task.FromResult<StreamRunResult>(null!);

    private StateManager(StreamPipeline pipeline, PushSource input)
    {
        Pipeline = pipeline;
        _input = input;
    }

    /// <summary>The pipeline that processes the batches (its store, state readers and checkpoints).</summary>
    public StreamPipeline Pipeline { get; }

    /// <summary>The checkpoint the last start or recovery restored; null when there was none.</summary>
    public long? RecoveredCheckpointId { get; private set; }

    /// <summary>How many of your messages the pipeline has read; right after a start or recovery, how many the restored state includes.</summary>
    public long Position => _input.Position;

    /// <summary>
    /// Adds the input to <paramref name="builder"/>, builds the pipeline, restores its latest checkpoint and starts it.
    /// </summary>
    /// <exception cref="StreamDefinitionException">The pipeline is not valid (see <see cref="StreamPipelineBuilder.Build"/>).</exception>
    /// <exception cref="StateCorruptedException">The latest checkpoint is damaged.</exception>
    public static async Task<StateManager> StartAsync(StreamPipelineBuilder builder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var input = new PushSource(InputName);
        var manager = new StateManager(builder.AddSource(input).Build(), input);
        try
        {
            await manager.StartRunAsync(cancellationToken).ConfigureAwait(false);
            return manager;
        }
        catch
        {
            await manager.Pipeline.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Hands a batch to the pipeline and waits until it has read it.</summary>
    /// <returns>The position after the batch.</returns>
    /// <exception cref="StreamException">The pipeline failed (<see cref="Exception.InnerException"/> says why), or a recovery dropped the batch: recover, then resend from <see cref="Position"/>.</exception>
    /// <exception cref="InvalidOperationException">The input was completed.</exception>
    public async Task<long> ProcessBatchAsync(IReadOnlyList<StreamMessage> batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var run = _run;
        if (run.IsCompleted)
        {
            throw Stopped(run);
        }

        var read = _input.SubmitAsync(batch);
        if (await Task.WhenAny(read, run).WaitAsync(cancellationToken).ConfigureAwait(false) == run && !read.IsCompleted)
        {
            throw Stopped(run);
        }

        return await read.ConfigureAwait(false);
    }

    /// <summary>Takes a checkpoint now and waits until it is complete: everything read before it is then durable and visible.</summary>
    /// <returns>The checkpoint's id.</returns>
    /// <inheritdoc cref="StreamPipeline.CreateCheckpointAsync"/>
    public Task<long> CreateCheckpointAsync(CancellationToken cancellationToken = default) => Pipeline.CreateCheckpointAsync(cancellationToken);

    /// <summary>
    /// Stops the pipeline, discarding what was read after its last checkpoint, restores that checkpoint and starts again;
    /// <see cref="Position"/> then says where to resend from. Batches not yet read fail with a <see cref="StreamException"/>.
    /// </summary>
    /// <returns>The restored checkpoint's id, or null when there was none (the state is then empty and the position 0).</returns>
    public async Task<long?> RecoverFromLatestCheckpointAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await StopRunAsync().ConfigureAwait(false);
            await StartRunAsync(cancellationToken).ConfigureAwait(false);
            return RecoveredCheckpointId;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Counters, the latest checkpoint (id, duration, bytes), open sink transactions and the size of the state.</summary>
    public ValueTask<StreamStatistics> GetStatsAsync(CancellationToken cancellationToken = default) => Pipeline.GetStatisticsAsync(cancellationToken);

    /// <summary>Removes expired state now (entries written with a time to live), instead of at the store's next sweep.</summary>
    /// <returns>How many entries were removed.</returns>
    public Task<int> CleanupExpiredStateAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Pipeline.Store.PurgeExpired());
    }

    /// <summary>Ends the input: the pipeline processes what was submitted, takes a final checkpoint and stops.</summary>
    /// <returns>What the run did.</returns>
    /// <exception cref="StreamException">The pipeline failed.</exception>
    public async Task<StreamRunResult> CompleteAsync(CancellationToken cancellationToken = default)
    {
        _input.Complete();
        return await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the pipeline (what was read after its last checkpoint is discarded) and disposes it.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopRunAsync().ConfigureAwait(false);
        await Pipeline.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _lifecycle.Dispose();
    }

    private async Task StartRunAsync(CancellationToken cancellationToken)
    {
        RecoveredCheckpointId = await Pipeline.RecoverFromLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        _stop.Dispose();
        _stop = new CancellationTokenSource();
        _run = Pipeline.RunAsync(_stop.Token);
        _ = _run.ContinueWith(
            static (run, input) => ((PushSource)input!).Discard(Stopped(run)),
            _input,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task StopRunAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or StreamException or StateException or IOException)
        {
            // The run is over either way; what it did after its last checkpoint is redone from there.
        }
    }

    private static StreamException Stopped(Task<StreamRunResult> run) => run.Exception?.InnerException is { } failure
        ? new StreamException($"The pipeline failed; recover (RecoverFromLatestCheckpointAsync) and resend from the position it gives: {failure.Message}", failure)
        : new StreamException("The pipeline is not running: it was completed or stopped.");
}
