using System.Collections.Concurrent;
using System.Globalization;
using FlowState.Checkpoints;
using Microsoft.Extensions.Logging;

namespace FlowState.Streaming;

/// <summary>
/// Runs a pipeline's checkpoints: asks the sources for barrier k (one checkpoint at a time, ids continuing from
/// storage), collects every source's offset, every processor partition's state snapshot and every sink's pre-committed
/// transaction, writes the manifest (which makes the checkpoint complete), then commits the sinks' transactions and
/// applies retention. Without checkpoint storage the same barriers only flush and commit the sinks.
/// </summary>
internal sealed class CheckpointCoordinator : IDisposable
{
    // Who owns what: each field has one writer (or one lock), by the kind of access.
    // - RecoverAsync runs before any operator task starts and sets the starting value of everything below.
    // - The trigger (TriggerAsync; one at a time under _oneAtATime, held until its checkpoint completed or was
    //   abandoned) owns the checkpoint sequence: _nextId, _pending, and with Fail _closed and _finalBarrier.
    // - The completion (CompleteAsync: started by the last acknowledgement, on the thread pool) owns the chain and the
    //   counts: _completed (the last two completed ids, published together), _baseId, _chainLength, _forceFull,
    //   _consecutiveFailures, CompletedCount, FailedCount.
    //   At most one runs, since the trigger waits for it before the next checkpoint, and the trigger reads these after
    //   that wait (the completion's TrySetResult orders its writes first). An abandoned checkpoint never completes, so
    //   the trigger's own RecordSkipped writes them then. A trigger whose wait was cancelled releases _oneAtATime early:
    //   only a stopping run cancels, and it takes no further checkpoint.
    // - Operators (sources, processor partitions, sinks, each on its own task) only acknowledge: into the pending
    //   checkpoint's concurrent collections and atomic state (PendingCheckpoint), _completing and _drained.
    // - _signalLock pairs _requestedBarrier with the _barrierRequested task it completes, so a source asking for a
    //   barrier after k never misses one requested between its check and its wait.
    // - _handlesLock guards the sink transactions carried from skipped or abandoned checkpoints and _lastAbandonedId,
    //   ordering an abandonment against a sink's late acknowledgement (every handle is carried exactly once).
    // - Fail (any thread) sets _failure once (CompareExchange) and _closed; a trigger sees them under _oneAtATime,
    //   and a waiting one through the pending checkpoint's task, which Fail fails.
    private readonly PipelineContext _pipeline;
    private readonly ICheckpointStorage? _storage;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, CheckpointManifest> _manifests = new();

    // The trigger's.
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private PendingCheckpoint? _pending;
    private long _nextId = 1;
    private long _finalBarrier = long.MaxValue;
    private bool _closed;
    private Exception? _failure;

    // The completion's.
    private long _baseId;
    private int _chainLength;
    private bool _forceFull = true;
    private int _consecutiveFailures;
    private Exception? _lastTolerated; // read by any thread (Volatile)
    private CompletedCheckpoints _completed = CompletedCheckpoints.None; // read by any thread (Volatile)

    // The operators': the last acknowledgement starts the completion and publishes its task (Volatile); _drained counts
    // the terminal operators that saw the end of their input (Interlocked).
    private Task _completing = Task.CompletedTask;
    private int _drained;

    // Under _signalLock.
    private readonly Lock _signalLock = new();
    private TaskCompletionSource _barrierRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _requestedBarrier;

    // Under _handlesLock: sink transactions pre-committed for checkpoints that failed and were skipped or abandoned,
    // which the next complete checkpoint owns.
    private readonly Lock _handlesLock = new();
    private readonly Dictionary<string, List<string>> _carriedHandles = new(StringComparer.Ordinal);
    private long _lastAbandonedId;

    public CheckpointCoordinator(PipelineContext pipeline, ICheckpointStorage? storage)
    {
        _pipeline = pipeline;
        _storage = storage;
        _logger = pipeline.Logger;
    }

    public bool SnapshotsState => _storage is not null;

    /// <summary>
    /// Waits for what the last checkpoint still has in flight: the completion (manifest, sink commits, retention) of a
    /// fully acknowledged one, or the state-file writes of one that will never complete (retention deletes those files
    /// later). A run ends only after this, so that nothing is written behind a run that has already returned.
    /// </summary>
    public async Task SettleAsync()
    {
        await Volatile.Read(ref _completing).ConfigureAwait(false);
        if (_pending is { AllAcknowledged: false } pending)
        {
            await Task.WhenAll(pending.FileWrites)
                .ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)
                .ConfigureAwait(false);
        }
    }

    public void Dispose() => _oneAtATime.Dispose();

    public long RequestedBarrier => Volatile.Read(ref _requestedBarrier);

    /// <summary>The last checkpoint id before this run: sources start from it, whenever their task starts.</summary>
    public long InitialBarrier { get; private set; }

    public long FinalBarrier => Volatile.Read(ref _finalBarrier);

    public long? LastCompletedId => Completed is { Last: > 0 } completed ? completed.Last : null;

    /// <summary>The last two checkpoints completed (0: none), read by processor partitions while they run.</summary>
    public CompletedCheckpoints Completed => Volatile.Read(ref _completed);

    public long CompletedCount { get; private set; }

    /// <summary>Checkpoints that failed to be stored and were skipped (<see cref="StreamPipelineOptions.TolerableCheckpointFailures"/>).</summary>
    public long FailedCount { get; private set; }

    /// <summary>True when <paramref name="exception"/> is the error of a checkpoint that was skipped, the run going on.</summary>
    public bool WasTolerated(Exception exception) => ReferenceEquals(exception, Volatile.Read(ref _lastTolerated));

    /// <summary>A task that completes when a barrier after <paramref name="injected"/> is requested.</summary>
    public Task BarrierRequestedAfter(long injected)
    {
        lock (_signalLock)
        {
            return RequestedBarrier > injected ? Task.CompletedTask : _barrierRequested.Task;
        }
    }

    /// <summary>
    /// The data key under which a roll-back that kept later output records so (retention never deletes it).
    /// </summary>
    internal const string RollbackDataKey = "rollbacks";

    /// <summary>The record a roll-back to <paramref name="checkpointId"/> that kept its later output leaves.</summary>
    internal static string KeptOutputRecord(long checkpointId) => string.Create(CultureInfo.InvariantCulture, $"kept-output-after-{checkpointId:D19}");

    // A sink commits an epoch only after that epoch's checkpoint is complete, so output committed past the checkpoint
    // being restored means newer manifests existed and are gone (deleted by hand, or the storage came back older).
    // Running from the older checkpoint would write that output a second time: refused, unless a roll-back that
    // chose to keep the later output recorded so.
    private async Task RefuseToRepeatCommittedOutputAsync(TwoPhaseCommitSink sink, long committed, CheckpointManifest? latest, CancellationToken cancellationToken)
    {
        var restored = latest?.Id ?? 0;
        if (_storage is null || committed <= restored)
        {
            return;
        }

        if (latest is not null)
        {
            try
            {
                await _storage.ReadDataAsync(RollbackDataKey, KeptOutputRecord(restored), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (CheckpointException)
            {
                // No such record: the newer checkpoints were not rolled back on purpose.
            }
        }

        throw new CheckpointException(
            $"Sink '{sink.Name}' of pipeline '{_pipeline.Name}' already committed the output of checkpoint {committed}, but the newest complete checkpoint in '{_storage.Description}' is {(latest is null ? "none" : restored.ToString(CultureInfo.InvariantCulture))}: " +
            $"the manifests of the checkpoints in between are missing (deleted, or the storage came back older), and running from {(latest is null ? "the start" : $"checkpoint {restored}")} would write that output again. " +
            "Bring the missing manifests back, or roll the pipeline back on purpose (flowstate checkpoints restore, StreamPipeline.RollBackToCheckpointAsync), which removes the later output first.");
    }

    /// <summary>
    /// Recovers: restores the latest complete checkpoint's state (its chain from the base), moves the sources to its
    /// offsets, commits its sink transactions and aborts every other; ids continue after every id ever used.
    /// </summary>
    public async Task<CheckpointManifest?> RecoverAsync(CancellationToken cancellationToken)
    {
        _failure = null;
        _closed = false;
        _consecutiveFailures = 0;
        lock (_handlesLock)
        {
            _carriedHandles.Clear();
        }

        _drained = 0;
        _pending = null;
        _finalBarrier = long.MaxValue;
        lock (_signalLock)
        {
            _barrierRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        CheckpointManifest? latest = null;
        long previousCompleted = 0;
        if (_storage is not null)
        {
            var ids = await _storage.ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false);
            if (ids.Count > 0)
            {
                previousCompleted = ids.Count > 1 ? ids[^2] : 0;
                latest = await ReadManifestAsync(ids[^1], cancellationToken).ConfigureAwait(false);
                if (latest.PipelineName != _pipeline.Name)
                {
                    throw new CheckpointException(
                        $"The checkpoints in '{_storage.Description}' were written by pipeline '{latest.PipelineName}', not '{_pipeline.Name}'; give each pipeline its own checkpoint storage.");
                }
            }

            await RestoreStateAsync(latest, cancellationToken).ConfigureAwait(false);
        }

        foreach (var source in _pipeline.Sources)
        {
            string? offset = null;
            latest?.SourceOffsets.TryGetValue(source.Name, out offset);
            await source.SeekAsync(offset, cancellationToken).ConfigureAwait(false);
        }

        var highest = latest?.Id ?? 0;
        if (_storage is not null)
        {
            highest = Math.Max(highest, await _storage.GetHighestClaimedIdAsync(cancellationToken).ConfigureAwait(false));
        }

        foreach (var sink in _pipeline.Sinks.OfType<TwoPhaseCommitSink>())
        {
            IReadOnlyList<string>? handles = null;
            latest?.SinkTransactions.TryGetValue(sink.Name, out handles);
            var committed = await sink.RecoverAsync(handles ?? [], cancellationToken).ConfigureAwait(false);
            await RefuseToRepeatCommittedOutputAsync(sink, committed, latest, cancellationToken).ConfigureAwait(false);
            highest = Math.Max(highest, committed);
        }

        _nextId = highest + 1;
        foreach (var sink in _pipeline.Sinks.OfType<TwoPhaseCommitSink>())
        {
            sink.StartEpoch(_nextId);
        }

        Volatile.Write(ref _completed, latest is null ? CompletedCheckpoints.None : new CompletedCheckpoints(latest.Id, previousCompleted));
        _baseId = latest?.BaseId ?? 0;
        _chainLength = latest?.ChainLength ?? 0;
        _forceFull = latest is null || latest.PartitionCount != _pipeline.Options.Partitions
            || !latest.Processors.SequenceEqual(_pipeline.Processors.Select(p => p.Name), StringComparer.Ordinal);
        _requestedBarrier = _nextId - 1;
        InitialBarrier = _nextId - 1;
        return latest;
    }

    /// <summary>Requests the next checkpoint and waits until it is complete.</summary>
    public async Task<long> TriggerAsync(bool final, CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        PendingCheckpoint pending;
        try
        {
            if (_failure is not null)
            {
                throw new StreamException($"Pipeline '{_pipeline.Name}' failed; no checkpoint can be taken.", _failure);
            }

            if (_closed)
            {
                throw new InvalidOperationException($"Pipeline '{_pipeline.Name}' is not running; a checkpoint needs a running pipeline.");
            }

            var id = _nextId++;
            var full = _forceFull || _chainLength == 0 || _chainLength >= _pipeline.Options.FullCheckpointEvery;
            var acks = _pipeline.Sources.Count + _pipeline.Sinks.Count + (SnapshotsState ? _pipeline.Processors.Count * _pipeline.Options.Partitions : 0);
            pending = new PendingCheckpoint(
                id,
                full,
                full ? null : LastCompletedId,
                full ? id : _baseId,
                full ? 1 : _chainLength + 1,
                acks,
                string.Create(CultureInfo.InvariantCulture, $"chk-{id:D19}-{Guid.NewGuid():N}"));
            _pending = pending;
            if (final)
            {
                _closed = true;
                Volatile.Write(ref _finalBarrier, id);
            }

            lock (_signalLock)
            {
                Volatile.Write(ref _requestedBarrier, id);
                _barrierRequested.TrySetResult();
                _barrierRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        catch
        {
            _oneAtATime.Release();
            throw;
        }

        try
        {
            return await WaitForCompletionAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Waits for a checkpoint, abandoning it when its acknowledgements do not all arrive within the timeout.</summary>
    private async Task<long> WaitForCompletionAsync(PendingCheckpoint pending, CancellationToken cancellationToken)
    {
        var timeout = _pipeline.Options.CheckpointTimeout;
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await pending.Completion.Task.WaitAsync(timeout, _pipeline.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            if (Abandon(pending, timeout) is { } error)
            {
                throw error;
            }

            // Every acknowledgement had arrived: it is being stored, which the timeout does not cover.
            return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Gives up a checkpoint that timed out and returns the error for whoever asked for it; null when it can no longer
    /// be given up (it is being completed). Tolerated like a checkpoint that could not be stored, else the run fails.
    /// </summary>
    private CheckpointException? Abandon(PendingCheckpoint pending, TimeSpan timeout)
    {
        lock (_handlesLock)
        {
            if (!pending.TryAbandon())
            {
                return null;
            }

            Volatile.Write(ref _lastAbandonedId, pending.Id);
            CarryLocked(SinkHandlesOfLocked(pending));
        }

        var cause = new TimeoutException(string.Create(
            CultureInfo.InvariantCulture,
            $"Checkpoint {pending.Id} of pipeline '{_pipeline.Name}' did not complete within {timeout} (CheckpointTimeout): it still waited for {Waiting(pending)}."));
        if (pending.Id != FinalBarrier && _consecutiveFailures < _pipeline.Options.TolerableCheckpointFailures)
        {
            return RecordSkipped(pending, "timed out and was abandoned", cause);
        }

        var why = pending.Id == FinalBarrier
            ? "the final checkpoint of a bounded run is never skipped"
            : string.Create(CultureInfo.InvariantCulture, $"{_consecutiveFailures + 1} failed checkpoints in a row are more than the {_pipeline.Options.TolerableCheckpointFailures} tolerated");
        var error = new CheckpointException(
            $"{cause.Message} It was abandoned, and {why}; find what blocks that operator, or raise StreamPipelineOptions.CheckpointTimeout or TolerableCheckpointFailures.",
            cause);
        pending.Completion.TrySetException(error);
        _pipeline.Fault(error);
        return error;
    }

    /// <summary>The operators a checkpoint still waits for, by name.</summary>
    private string Waiting(PendingCheckpoint pending)
    {
        var waiting = new List<string>();
        waiting.AddRange(_pipeline.Sources.Where(s => !pending.SourceOffsets.ContainsKey(s.Name)).Select(s => $"source '{s.Name}'"));
        if (SnapshotsState)
        {
            var partitions = _pipeline.Processors.Count * _pipeline.Options.Partitions;
            var missing = partitions - pending.FileWrites.Count;
            if (missing > 0)
            {
                waiting.Add(string.Create(CultureInfo.InvariantCulture, $"{missing} of {partitions} processor partitions"));
            }
        }

        waiting.AddRange(_pipeline.Sinks.Where(s => !pending.SinkHandles.ContainsKey(s.Name)).Select(s => $"sink '{s.Name}'"));
        return waiting.Count == 0 ? string.Create(CultureInfo.InvariantCulture, $"{pending.Missing} acknowledgement(s)") : string.Join(", ", waiting);
    }

    /// <summary>A terminal operator saw the end of every input; after the last one, the final checkpoint is taken.</summary>
    public bool Drained() => Interlocked.Increment(ref _drained) == _pipeline.TerminalCount;

    public void AcknowledgeSource(long checkpointId, string source, string? offset)
    {
        if (Current(checkpointId) is not { } pending)
        {
            return;
        }

        pending.SourceOffsets[source] = offset;
        Acknowledged(pending);
    }

    public void AcknowledgeState(long checkpointId, int stage, int partition, List<CheckpointStateFile.Item> items)
    {
        if (Current(checkpointId) is not { } pending)
        {
            // Abandoned: the next checkpoint is a full one, so this snapshot is not needed.
            return;
        }

        var processor = _pipeline.Processors[stage].Name;
        var name = string.Create(CultureInfo.InvariantCulture, $"s{stage:D3}-p{partition:D4}.state");
        pending.FileWrites.Add(Task.Run(async () =>
        {
            var bytes = CheckpointStateFile.Write(items, processor, partition, !pending.Full);
            await _storage!.WriteDataAsync(pending.DataKey, name, bytes, CancellationToken.None).ConfigureAwait(false);
            return new CheckpointFile(name, processor, partition, items.Count, bytes.Length);
        }));
        Acknowledged(pending);
    }

    public void AcknowledgeSink(long checkpointId, string sink, string? handle)
    {
        PendingCheckpoint? pending;
        lock (_handlesLock)
        {
            pending = Current(checkpointId);
            if (pending is null)
            {
                // The checkpoint was abandoned before this sink got to it: its transaction waits for the next one.
                if (handle is not null)
                {
                    CarryLocked(new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { [sink] = [handle] });
                }

                return;
            }

            pending.SinkHandles[sink] = handle;
        }

        Acknowledged(pending);
    }

    /// <summary>The pipeline failed or stopped: whoever waits for a checkpoint gets the error.</summary>
    public void Fail(Exception failure)
    {
        Interlocked.CompareExchange(ref _failure, failure, null);
        _closed = true;
        if (_pending is { AllAcknowledged: false } pending)
        {
            pending.Completion.TrySetException(new StreamException($"Pipeline '{_pipeline.Name}' stopped before checkpoint {pending.Id} completed.", failure));
        }

        lock (_signalLock)
        {
            _barrierRequested.TrySetResult();
        }
    }

    public bool IsFull(long checkpointId) => Current(checkpointId)?.Full ?? true;

    public async Task<CheckpointManifest> ReadManifestAsync(long id, CancellationToken cancellationToken)
    {
        if (_manifests.TryGetValue(id, out var cached))
        {
            return cached;
        }

        var bytes = await _storage!.ReadManifestAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new CheckpointException($"Checkpoint {id} has no manifest in '{_storage.Description}'; it was deleted or never completed.");
        var manifest = CheckpointManifestCodec.Decode(bytes, id, _storage.Description);
        _manifests[id] = manifest;
        return manifest;
    }

    /// <summary>The checkpoint an acknowledgement is for; null when it was abandoned (late acknowledgements are expected then).</summary>
    private PendingCheckpoint? Current(long checkpointId)
    {
        var pending = _pending;
        if (pending is not null && pending.Id == checkpointId && !pending.IsAbandoned)
        {
            return pending;
        }

        return checkpointId <= Volatile.Read(ref _lastAbandonedId)
            ? null
            : throw new InvalidOperationException($"Barrier {checkpointId} is not the checkpoint in progress ({pending?.Id.ToString(CultureInfo.InvariantCulture) ?? "none"}).");
    }

    private void Acknowledged(PendingCheckpoint pending)
    {
        if (pending.Acknowledge())
        {
            Volatile.Write(ref _completing, Task.Run(() => CompleteAsync(pending)));
        }
    }

    private async Task CompleteAsync(PendingCheckpoint pending)
    {
        Dictionary<string, IReadOnlyList<string>> handles;
        lock (_handlesLock)
        {
            handles = SinkHandlesOfLocked(pending);
        }

        var stored = false;
        try
        {
            CheckpointManifest? manifest = null;
            if (_storage is not null)
            {
                var files = await Task.WhenAll(pending.FileWrites).ConfigureAwait(false);
                manifest = new CheckpointManifest
                {
                    Id = pending.Id,
                    PipelineName = _pipeline.Name,
                    CreatedAt = _pipeline.Options.TimeProvider.GetUtcNow(),
                    Incremental = !pending.Full,
                    ParentId = pending.ParentId,
                    BaseId = pending.BaseId,
                    ChainLength = pending.ChainLength,
                    PartitionCount = _pipeline.Options.Partitions,
                    Processors = [.. _pipeline.Processors.Select(p => p.Name)],
                    DataKey = pending.DataKey,
                    Files = [.. files.OrderBy(f => f.Name, StringComparer.Ordinal)],
                    SourceOffsets = new Dictionary<string, string?>(pending.SourceOffsets, StringComparer.Ordinal),
                    SinkTransactions = handles,
                    DurationMilliseconds = pending.Elapsed.Elapsed.TotalMilliseconds,
                };
                if (!await _storage.TryWriteManifestAsync(pending.Id, CheckpointManifestCodec.Encode(manifest), CancellationToken.None).ConfigureAwait(false))
                {
                    // Not a storage hiccup: another coordinator writes here, which no tolerance may cover.
                    stored = true;
                    throw new CheckpointException(
                        $"Checkpoint {pending.Id} of pipeline '{_pipeline.Name}' was already claimed in '{_storage.Description}' by another coordinator; two pipelines must not share one checkpoint storage.");
                }

                _manifests[pending.Id] = manifest;
                Volatile.Write(ref _completed, new CompletedCheckpoints(pending.Id, _completed.Last));
                _baseId = pending.BaseId;
                _chainLength = pending.ChainLength;
                _forceFull = false;
            }

            stored = true;
            lock (_handlesLock)
            {
                _carriedHandles.Clear();
            }

            _consecutiveFailures = 0;
            await _pipeline.CommitSinksAsync(handles).ConfigureAwait(false);
            await AcknowledgeSourcesAsync(pending).ConfigureAwait(false);
            CompletedCount++;
            _pipeline.RecordCheckpoint(manifest, pending.Elapsed.Elapsed);
            if (_storage is not null)
            {
                await ApplyRetentionAsync().ConfigureAwait(false);
            }

            pending.Completion.TrySetResult(pending.Id);
        }
        catch (Exception ex) when (!stored && pending.Id != FinalBarrier && _consecutiveFailures < _pipeline.Options.TolerableCheckpointFailures)
        {
            Skip(pending, handles, ex);
        }
        catch (Exception ex)
        {
            pending.Completion.TrySetException(ex);
            _pipeline.Fault(ex);
        }
    }

    /// <summary>Tells acknowledging sources that the checkpoint holding their offsets is complete (its output committed).</summary>
    private async Task AcknowledgeSourcesAsync(PendingCheckpoint pending)
    {
        foreach (var source in _pipeline.Sources)
        {
            if (source is not IAcknowledgingSource acknowledging || !pending.SourceOffsets.TryGetValue(source.Name, out var offset) || offset is null)
            {
                continue;
            }

            try
            {
                await acknowledging.AcknowledgeAsync(offset, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // the checkpoint holds the position already; an acknowledgement not made now is made by the next one
            catch (Exception ex)
#pragma warning restore CA1031
            {
                StreamLog.AcknowledgeFailed(_logger, ex, _pipeline.Name, source.Name, pending.Id);
            }
        }
    }

    /// <summary>
    /// Gives up a checkpoint that could not be stored, the run going on: its pre-committed sink transactions wait for the
    /// next complete checkpoint, and since its state files may be partly missing, the next checkpoint is a full one.
    /// </summary>
    private void Skip(PendingCheckpoint pending, IReadOnlyDictionary<string, IReadOnlyList<string>> handles, Exception cause)
    {
        lock (_handlesLock)
        {
            _carriedHandles.Clear();
            CarryLocked(handles);
        }

        RecordSkipped(pending, "could not be stored and was skipped", cause);
    }

    /// <summary>Counts a tolerated failure; the next checkpoint is a full one, since this one's state files may be missing.</summary>
    private CheckpointException RecordSkipped(PendingCheckpoint pending, string what, Exception cause)
    {
        _consecutiveFailures++;
        FailedCount++;
        _forceFull = true;
        StreamLog.CheckpointSkipped(_logger, cause, _pipeline.Name, pending.Id, _consecutiveFailures, _pipeline.Options.TolerableCheckpointFailures);
        var error = new CheckpointException(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Checkpoint {pending.Id} of pipeline '{_pipeline.Name}' {what} ({_consecutiveFailures} in a row, {_pipeline.Options.TolerableCheckpointFailures} tolerated): {cause.Message}"),
            cause);
        Volatile.Write(ref _lastTolerated, error);
        pending.Completion.TrySetException(error);
        return error;
    }

    /// <summary>Adds sink transactions for the next complete checkpoint to commit, after those already waiting.</summary>
    private void CarryLocked(IReadOnlyDictionary<string, IReadOnlyList<string>> handles)
    {
        foreach (var (sink, list) in handles)
        {
            if (!_carriedHandles.TryGetValue(sink, out var carried))
            {
                _carriedHandles[sink] = carried = [];
            }

            foreach (var handle in list)
            {
                if (!carried.Contains(handle, StringComparer.Ordinal))
                {
                    carried.Add(handle);
                }
            }
        }
    }

    /// <summary>The sink transactions a checkpoint makes visible: its own, after those of skipped checkpoints before it.</summary>
    private Dictionary<string, IReadOnlyList<string>> SinkHandlesOfLocked(PendingCheckpoint pending)
    {
        var handles = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (sink, handle) in pending.SinkHandles)
        {
            var carried = _carriedHandles.TryGetValue(sink, out var list) ? list : [];
            handles[sink] = handle is null ? [.. carried] : [.. carried, handle];
        }

        foreach (var (sink, list) in _carriedHandles)
        {
            handles.TryAdd(sink, [.. list]);
        }

        return handles;
    }

    private async Task RestoreStateAsync(CheckpointManifest? latest, CancellationToken cancellationToken)
    {
        var chain = new List<CheckpointManifest>();
        for (var manifest = latest; manifest is not null;)
        {
            chain.Add(manifest);
            manifest = manifest.ParentId is { } parent ? await ReadManifestAsync(parent, cancellationToken).ConfigureAwait(false) : null;
        }

        chain.Reverse();

        // A chain has one partition count (a rescale starts a new one) and a partition's files hold only its keys, so
        // partitions are read and folded in parallel. The base is read into a list (its keys are unique); the
        // increments, small by design, into an overlay that replaces or removes base entries.
        var byPartition = chain.SelectMany((manifest, order) => manifest.Files.Select(file => (manifest, order, file)))
            .GroupBy(f => f.file.Partition)
            .Select(group => Task.Run(async () =>
            {
                var files = group.OrderBy(f => f.order).ToList();
                // Sized from the manifest: growing a list of a million entries copies it again at every doubling.
                var entries = new List<RestoredEntry>((int)Math.Min(int.MaxValue, files.Where(f => f.order == 0).Sum(f => f.file.Entries)));
                var overlay = new Dictionary<(string ScopeKey, string Key), RestoredEntry>();
                foreach (var (manifest, order, file) in files)
                {
                    var bytes = await _storage!.ReadDataAsync(manifest.DataKey, file.Name, cancellationToken).ConfigureAwait(false);
                    var where = $"{_storage.Description}/{manifest.DataKey}/{file.Name}";
                    if (order == 0)
                    {
                        CheckpointStateFile.Read(bytes, where, entry => entries.Add(entry.IsTombstone ? throw new StateCorruptedException($"The full checkpoint file '{where}' holds a tombstone.") { Location = where } : entry));
                    }
                    else
                    {
                        CheckpointStateFile.Read(bytes, where, entry => overlay[(entry.ScopeKey, entry.Key)] = entry);
                    }
                }

                if (overlay.Count == 0)
                {
                    return entries;
                }

                var folded = new List<RestoredEntry>(entries.Count + overlay.Count);
                foreach (var entry in entries)
                {
                    if (!overlay.Remove((entry.ScopeKey, entry.Key), out var replacement))
                    {
                        folded.Add(entry);
                    }
                    else if (!replacement.IsTombstone)
                    {
                        folded.Add(replacement);
                    }
                }

                folded.AddRange(overlay.Values.Where(entry => !entry.IsTombstone));
                return folded;
            }, cancellationToken))
            .ToList();
        var partitions = await Task.WhenAll(byPartition).ConfigureAwait(false);
        await _pipeline.ReplaceStateAsync(partitions, cancellationToken).ConfigureAwait(false);
        if (latest is not null)
        {
            var restored = partitions.Sum(p => p.Count);
            StreamLog.Restored(_logger, _pipeline.Name, latest.Id, restored, chain.Count);
        }
    }

    private async Task ApplyRetentionAsync()
    {
        var ids = await _storage!.ListCheckpointIdsAsync(CancellationToken.None).ConfigureAwait(false);
        var keep = new HashSet<long>();
        foreach (var id in ids.TakeLast(_pipeline.Options.RetainedCheckpoints))
        {
            for (long? at = id; at is { } current && keep.Add(current);)
            {
                at = (await ReadManifestAsync(current, CancellationToken.None).ConfigureAwait(false)).ParentId;
            }
        }

        foreach (var id in ids.Where(id => !keep.Contains(id)))
        {
            await _storage.DeleteManifestAsync(id, CancellationToken.None).ConfigureAwait(false);
            _manifests.TryRemove(id, out _);
        }

        var keptData = new HashSet<string>(keep.Select(id => _manifests[id].DataKey), StringComparer.Ordinal) { RollbackDataKey };
        foreach (var dataKey in await _storage.ListDataKeysAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (!keptData.Contains(dataKey))
            {
                await _storage.DeleteDataAsync(dataKey, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
