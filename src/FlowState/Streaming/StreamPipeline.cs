using FlowState.Checkpoints;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowState.Streaming;

/// <summary>
/// A stream job: sources → processors (each in <see cref="StreamPipelineOptions.Partitions"/> parallel partitions,
/// messages routed by key) → sinks, with aligned checkpoint barriers. Keyed state lives in a <see cref="StateStore"/>
/// under <c>custom:stream:{name}:</c>; checkpoints hold it together with source offsets and pending sink transactions,
/// so a run after a crash continues exactly where the last complete checkpoint was. Build one with
/// <see cref="StreamPipelineBuilder"/>.
/// </summary>
public sealed class StreamPipeline : IAsyncDisposable
{
    private readonly bool _ownsStore;
    // What the runs work with (workers, the run, the coordinator): they see the context, never this public type.
    private readonly PipelineContext _context;
    private readonly CheckpointCoordinator _coordinator;
    private readonly SemaphoreSlim _oneRun = new(1, 1);
    private long? _recoveredFrom;
    private bool _recovered;

    internal StreamPipeline(
        StreamPipelineOptions options,
        IReadOnlyList<ISource> sources,
        IReadOnlyList<IProcessor> processors,
        IReadOnlyList<ISink> sinks,
        ICheckpointStorage? checkpointStorage,
        StateStore? store,
        ILogger? logger)
    {
        CheckpointStorage = checkpointStorage;
        _ownsStore = store is null;
        store ??= new StateStore(new StateStoreOptions { MeterFactory = options.MeterFactory });
        var instruments = options.MeterFactory is { } meters ? FlowStateInstruments.For(meters) : store.Instruments;
        _context = new PipelineContext(options, sources, processors, sinks, store, instruments, logger ?? NullLogger.Instance);
        _context.Tracker.Attach();
        _coordinator = new CheckpointCoordinator(_context, checkpointStorage);
    }

    /// <summary>The pipeline's name.</summary>
    public string Name => Options.Name;

    /// <summary>The options it was built with.</summary>
    public StreamPipelineOptions Options => _context.Options;

    /// <summary>The scope of the pipeline's state: <c>custom:stream:{name}:</c>, one child scope per processor.</summary>
    public StateScope Scope => _context.Scope;

    /// <summary>The store holding the pipeline's keyed state.</summary>
    public StateStore Store => _context.Store;

    /// <summary>Where checkpoints go; null when the pipeline takes none.</summary>
    public ICheckpointStorage? CheckpointStorage { get; }

    /// <summary>Read access to one processor's keyed state.</summary>
    public IStateReader StateOf(string processorName) =>
        Processors.Any(p => p.Name == processorName)
            ? new ReadOnlyStateReader(Store.For(Scope.Child(processorName)))
            : throw new ArgumentException($"Pipeline '{Name}' has no processor '{processorName}'.", nameof(processorName));

    private IReadOnlyList<IProcessor> Processors => _context.Processors;

    private IReadOnlyList<ISink> Sinks => _context.Sinks;

    /// <summary>
    /// Restores the latest complete checkpoint: state (its chain of increments from the full base), source offsets, and
    /// sink transactions (the checkpoint's committed, every other pending one aborted). Without one, the state is cleared
    /// and sources start from the beginning. <see cref="RunAsync"/> starts with this; call it yourself to recover
    /// without running.
    /// </summary>
    /// <returns>The restored checkpoint's id, or null when there was none.</returns>
    /// <exception cref="StateCorruptedException">The latest checkpoint's manifest or a state file is damaged.</exception>
    public async Task<long?> RecoverFromLatestCheckpointAsync(CancellationToken cancellationToken = default)
    {
        await _oneRun.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RecoverCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _oneRun.Release();
        }
    }

    /// <summary>
    /// Recovers (see <see cref="RecoverFromLatestCheckpointAsync"/>), then runs until every source has ended — then takes
    /// a final checkpoint, so all output is committed — or until <paramref name="cancellationToken"/> stops it (what was
    /// processed after the last checkpoint is discarded and redone by the next run).
    /// </summary>
    /// <exception cref="StreamException">A source, processor, sink or checkpoint failed; the next run recovers.</exception>
    /// <exception cref="OperationCanceledException">The run was stopped.</exception>
    public async Task<StreamRunResult> RunAsync(CancellationToken cancellationToken = default)
    {
        await _oneRun.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var recovered = _recovered ? _recoveredFrom : await RecoverCoreAsync(cancellationToken).ConfigureAwait(false);
            _recovered = false;
            var read = _context.MessagesRead;
            var written = _context.MessagesWritten;
            var checkpoints = _coordinator.CompletedCount;
            var run = new PipelineRun(_context, _coordinator, cancellationToken);
            await using var runScope = run.ConfigureAwait(false);
            _context.Run = run;
            try
            {
                await run.ExecuteAsync().ConfigureAwait(false);
            }
            finally
            {
                _context.Run = null;
                await AbortOpenTransactionsAsync().ConfigureAwait(false);
            }

            return new StreamRunResult(
                recovered,
                _context.MessagesRead - read,
                _context.MessagesWritten - written,
                _coordinator.CompletedCount - checkpoints,
                _coordinator.LastCompletedId);
        }
        finally
        {
            _oneRun.Release();
        }
    }

    /// <summary>Takes a checkpoint of the running pipeline now and waits until it is complete.</summary>
    /// <returns>The checkpoint's id.</returns>
    /// <exception cref="InvalidOperationException">The pipeline is not running.</exception>
    public Task<long> CreateCheckpointAsync(CancellationToken cancellationToken = default) =>
        _context.Run is null
            ? throw new InvalidOperationException($"Pipeline '{Name}' is not running; a checkpoint needs a running pipeline.")
            : _coordinator.TriggerAsync(final: false, cancellationToken);

    /// <summary>
    /// Takes a savepoint: a complete checkpoint copied, with the checkpoints it builds on, into
    /// <paramref name="destination"/> — storage of its own (a folder, an S3 prefix), where no retention removes it. On
    /// a running pipeline it is a checkpoint taken now; on a stopped one, its latest complete checkpoint. Restore it into
    /// a pipeline with <see cref="RestoreSavepointAsync"/>, with another partition count too.
    /// </summary>
    /// <returns>The id of the checkpoint the savepoint holds.</returns>
    /// <exception cref="InvalidOperationException">The pipeline takes no checkpoints.</exception>
    /// <exception cref="CheckpointException">There is no complete checkpoint yet, or the destination already holds checkpoints.</exception>
    public async Task<long> CreateSavepointAsync(ICheckpointStorage destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var storage = CheckpointStorage ?? throw new InvalidOperationException($"Pipeline '{Name}' takes no checkpoints, so it has none to save.");
        for (var attempt = 1; ; attempt++)
        {
            long id;
            if (_context.Run is not null)
            {
                id = await _coordinator.TriggerAsync(final: false, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var ids = await storage.ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false);
                id = ids.Count > 0 ? ids[^1] : throw new CheckpointException($"Pipeline '{Name}' has no complete checkpoint in '{storage.Description}' yet; run it (or take a savepoint while it runs).");
            }

            try
            {
                await storage.CopyCheckpointAsync(id, destination, cancellationToken).ConfigureAwait(false);
                return id;
            }
            catch (CheckpointException) when (_context.Run is not null && attempt < 3)
            {
                if (await storage.ReadManifestAsync(id, cancellationToken).ConfigureAwait(false) is not null)
                {
                    throw;
                }

                // Retention removed it while it was copied (newer checkpoints completed meanwhile): take another.
                await DeletePartialCopyAsync(destination, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Restores a savepoint (<see cref="CreateSavepointAsync"/>) into this pipeline: copies it into the pipeline's own
    /// checkpoint storage, which must hold no checkpoint, so the next run (or <see cref="RecoverFromLatestCheckpointAsync"/>)
    /// starts from it — its state (redistributed when this pipeline has another partition count), source offsets and sink
    /// transactions. The pipeline must not be running.
    /// </summary>
    /// <returns>The id of the restored checkpoint.</returns>
    /// <exception cref="InvalidOperationException">The pipeline takes no checkpoints, or it is running.</exception>
    /// <exception cref="CheckpointException">The savepoint holds no checkpoint or is another pipeline's, or this pipeline's storage already holds some.</exception>
    public async Task<long> RestoreSavepointAsync(ICheckpointStorage savepoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(savepoint);
        var storage = CheckpointStorage ?? throw new InvalidOperationException($"Pipeline '{Name}' takes no checkpoints; build it with WithCheckpoints to restore a savepoint into.");
        if (!await _oneRun.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Pipeline '{Name}' is running; stop it before restoring a savepoint.");
        }

        try
        {
            var ids = await savepoint.ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false);
            var id = ids.Count > 0 ? ids[^1] : throw new CheckpointException($"'{savepoint.Description}' holds no savepoint (no complete checkpoint).");
            var manifest = await savepoint.ReadManifestAsync(id, cancellationToken).ConfigureAwait(false) is { } bytes
                ? CheckpointManifestCodec.Decode(bytes, id, savepoint.Description)
                : throw new CheckpointException($"'{savepoint.Description}' lost checkpoint {id} while it was read.");
            if (manifest.PipelineName != Name)
            {
                throw new CheckpointException(
                    $"The savepoint in '{savepoint.Description}' was taken of pipeline '{manifest.PipelineName}'; restore it into a pipeline of that name (its state, offsets and sink transactions are that pipeline's), not '{Name}'.");
            }

            if ((await storage.ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                throw new CheckpointException(
                    $"Pipeline '{Name}' already has checkpoints in '{storage.Description}'; a savepoint is restored into empty checkpoint storage (give the pipeline a new folder or prefix).");
            }

            await savepoint.CopyCheckpointAsync(id, storage, cancellationToken).ConfigureAwait(false);
            _recovered = false;
            return id;
        }
        finally
        {
            _oneRun.Release();
        }
    }

    private static async Task DeletePartialCopyAsync(ICheckpointStorage destination, CancellationToken cancellationToken)
    {
        foreach (var id in await destination.ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            await destination.DeleteManifestAsync(id, cancellationToken).ConfigureAwait(false);
        }

        foreach (var dataKey in await destination.ListDataKeysAsync(cancellationToken).ConfigureAwait(false))
        {
            await destination.DeleteDataAsync(dataKey, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Rolls the pipeline back to an older complete checkpoint: removes every later checkpoint and the output the
    /// two-phase-commit sinks committed after it, so that the next run (or <see cref="RecoverFromLatestCheckpointAsync"/>)
    /// starts from <paramref name="checkpointId"/> and produces that output again, once. The pipeline must not be running.
    /// </summary>
    /// <param name="checkpointId">A complete checkpoint (<see cref="ListCheckpointsAsync"/>).</param>
    /// <param name="keepLaterOutput">
    /// Keep the output committed after the checkpoint (the rerun then writes those messages a second time); needed when a
    /// sink cannot remove output. Plain (at-least-once) sinks always keep theirs.
    /// </param>
    /// <param name="cancellationToken">Stops the roll-back between steps.</param>
    /// <returns>The ids of the checkpoints removed, newest first.</returns>
    /// <exception cref="InvalidOperationException">The pipeline has no checkpoint storage, or it is running.</exception>
    /// <exception cref="CheckpointException">There is no complete checkpoint <paramref name="checkpointId"/>.</exception>
    /// <exception cref="StreamException">A sink cannot remove its later output and <paramref name="keepLaterOutput"/> is false; nothing was changed.</exception>
    public async Task<IReadOnlyList<long>> RollBackToCheckpointAsync(long checkpointId, bool keepLaterOutput = false, CancellationToken cancellationToken = default)
    {
        var storage = CheckpointStorage ?? throw new InvalidOperationException($"Pipeline '{Name}' takes no checkpoints.");
        if (!await _oneRun.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Pipeline '{Name}' is running; stop it before rolling it back.");
        }

        try
        {
            var ids = await storage.ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false);
            if (!ids.Contains(checkpointId))
            {
                throw new CheckpointException(
                    $"Pipeline '{Name}' has no complete checkpoint {checkpointId} in '{storage.Description}'; it has {(ids.Count == 0 ? "none" : string.Join(", ", ids))}.");
            }

            var transactional = Sinks.OfType<TwoPhaseCommitSink>().ToList();
            if (!keepLaterOutput && transactional.FirstOrDefault(s => !s.CanRemoveCommittedOutput) is { } stuck)
            {
                throw new StreamException(
                    $"Sink '{stuck.Name}' of pipeline '{Name}' cannot remove the output it committed after checkpoint {checkpointId}; roll back keeping that output (it is then written again) or not at all.");
            }

            // The output goes first, then the manifests, newest first. Interrupted, the roll-back is simply repeated; a
            // run started in between recovers a later checkpoint whose output is gone, which its sink reports instead
            // of silently writing the output twice.
            if (!keepLaterOutput)
            {
                foreach (var sink in transactional)
                {
                    await sink.RemoveCommittedAfterAsync(checkpointId, cancellationToken).ConfigureAwait(false);
                }
            }

            var removed = ids.Where(id => id > checkpointId).OrderDescending().ToList();
            if (keepLaterOutput && transactional.Count > 0 && removed.Count > 0)
            {
                // Recorded before the manifests go: the next run then knows the repeated output was chosen.
                await storage.WriteDataAsync(
                    CheckpointCoordinator.RollbackDataKey,
                    CheckpointCoordinator.KeptOutputRecord(checkpointId),
                    System.Text.Encoding.UTF8.GetBytes($"rolled back to checkpoint {checkpointId} keeping the output of checkpoints {string.Join(", ", removed)}\n"),
                    cancellationToken).ConfigureAwait(false);
            }

            foreach (var id in removed)
            {
                await storage.DeleteManifestAsync(id, cancellationToken).ConfigureAwait(false);
            }

            _recovered = false;
            return removed;
        }
        finally
        {
            _oneRun.Release();
        }
    }

    /// <summary>The complete checkpoints in storage, oldest first.</summary>
    public async Task<IReadOnlyList<CheckpointManifest>> ListCheckpointsAsync(CancellationToken cancellationToken = default)
    {
        if (CheckpointStorage is null)
        {
            return [];
        }

        var manifests = new List<CheckpointManifest>();
        foreach (var id in await CheckpointStorage.ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            manifests.Add(await _coordinator.ReadManifestAsync(id, cancellationToken).ConfigureAwait(false));
        }

        return manifests;
    }

    /// <summary>Counters, the latest checkpoint and the size of the state.</summary>
    public ValueTask<StreamStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var state = Store.GetStatistics(Scope);
        return ValueTask.FromResult(new StreamStatistics
        {
            MessagesRead = _context.MessagesRead,
            MessagesProcessed = _context.MessagesProcessed,
            MessagesWritten = _context.MessagesWritten,
            CheckpointsCompleted = _coordinator.CompletedCount,
            CheckpointsFailed = _coordinator.FailedCount,
            LastCheckpointId = _coordinator.LastCompletedId,
            LastCheckpointAt = _context.LastTaken?.CreatedAt,
            LastCheckpointDuration = _context.LastDuration,
            LastCheckpointBytes = _context.LastTaken?.Bytes,
            LastCheckpointEntries = _context.LastTaken?.Entries,
            LastCheckpointIncremental = _context.LastTaken?.Incremental,
            ActiveTransactions = _context.Run?.ActiveTransactions ?? 0,
            StateEntries = state.Entries,
            StateBytes = state.Bytes,
        });
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _context.Tracker.Detach();
        foreach (var source in _context.Sources)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var sink in Sinks)
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsStore)
        {
            await Store.DisposeAsync().ConfigureAwait(false);
        }

        _context.Dispose();
        _oneRun.Dispose();
        _coordinator.Dispose();
    }

    private async Task<long?> RecoverCoreAsync(CancellationToken cancellationToken)
    {
        var latest = await _coordinator.RecoverAsync(cancellationToken).ConfigureAwait(false);
        _recoveredFrom = latest?.Id;
        _recovered = true;
        return latest?.Id;
    }

    private async Task AbortOpenTransactionsAsync()
    {
        foreach (var sink in Sinks.OfType<TwoPhaseCommitSink>())
        {
            try
            {
                await sink.AbortOpenAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or StreamException or StateException)
            {
                StreamLog.AbortFailed(_context.Logger, ex, Name, sink.Name);
            }
        }
    }
}
