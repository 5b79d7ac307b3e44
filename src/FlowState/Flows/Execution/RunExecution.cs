using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace FlowState.Flows;

/// <summary>
/// One execution of a run in this process: runs its frames (the top flow and every nested flow, branch and batch
/// item) and commits each step. With progress recording, a step's writes, its frame's next node and the run record
/// commit in one batch, so a resumed run continues exactly after the last committed step.
/// </summary>
internal sealed class RunExecution : IDisposable
{
    public const string RunKey = "run";
    public const string GraphKey = "graph";

    /// <summary>The frame of the run's top-level flow.</summary>
    public const string RootFrameId = "";
    private const string FrameKeyPrefix = "frame:";
    public const string BookkeepingName = "flow";

    private readonly SemaphoreSlim _commitLock = new(1, 1);

    // Made on first use: a run of small nodes that never reads step state should not pay for them.
    private ConcurrentDictionary<string, StateScope>? _stepScopes;
    private ConcurrentDictionary<string, IStateReader>? _stepReaders;
    private IStateReader? _runReader;
    private IStateReader? _globalReader;
    private IStateStore? _bookkeeping;
    private RunRecord _record;
    private long _stepsRun;
    private StampOrigin? _stampOrigin;

    private readonly FlowHistory? _history;

    public RunExecution(IStateStoreRoot store, string runId, bool recordProgress, int maxPostConflictRetries, RunRecord record, ILogger logger, FlowHistoryOptions? history = null)
    {
        Store = store;
        RunId = runId;
        RecordProgress = recordProgress;
        MaxPostConflictRetries = maxPostConflictRetries;
        Logger = logger;
        _record = record;
        RunScope = StateScope.Workflow(runId);
        _history = history is null ? null : new FlowHistory(history, Bookkeeping);
    }

    public IStateStoreRoot Store { get; }

    /// <summary>Where the run's events go (<see cref="FlowRunner.WatchAsync"/>); null: nowhere.</summary>
    public RunEventStream? Events { get; init; }

    /// <summary>The largest value a step event carries (<see cref="FlowRunnerOptions.EventValueLimit"/>, set by the runner).</summary>
    public int EventValueLimit { get; init; }

    /// <summary>Whether anyone watches the run's events now: events are only built then.</summary>
    public bool IsWatched => Events?.IsWatched == true;

    public string RunId { get; }

    public bool RecordProgress { get; }

    /// <summary>
    /// Steps commit in memory and their backend writes happen behind (<see cref="FlowRunDurability.Async"/>); the run's
    /// last write, at the store's durability, comes after them in the commit queue and waits for them.
    /// </summary>
    public bool StepsWrittenBehind { get; init; }

    /// <summary>
    /// The keys of the steps committed in memory only (<see cref="FlowRunDurability.Exit"/>), written by
    /// <see cref="FlushDeferredAsync"/> before the run's end is recorded; null for the other modes.
    /// </summary>
    public DeferredWrites? Deferred { get; init; }

    /// <summary>Writes the steps an <see cref="FlowRunDurability.Exit"/> run kept from the backend; returns once they are durable.</summary>
    public ValueTask FlushDeferredAsync(CancellationToken cancellationToken) =>
        Deferred is null ? ValueTask.CompletedTask : Store.FlushDeferredAsync(Deferred, cancellationToken);

    /// <summary>
    /// The run's reducers as the staged writes of a post use them (<see cref="StagedWrites.ReducerOf"/>): fields of the
    /// run's scope only; null when the flow has none.
    /// </summary>
    public Func<StateScope, string, Func<ReadOnlyMemory<byte>?, byte[], byte[]>?>? ReducerOf { get; private set; }

    /// <summary>The reducers of the flow the run runs (<see cref="Flow.Reducers"/>).</summary>
    public IReadOnlyDictionary<string, FlowReducer> Reducers
    {
        init
        {
            if (value.Count == 0)
            {
                return;
            }

            var combine = value.ToDictionary(p => p.Key, p => (Func<ReadOnlyMemory<byte>?, byte[], byte[]>)((current, update) => p.Value.Reduce(current, update, p.Key)), StringComparer.Ordinal);
            ReducerOf = (scope, key) => scope == RunScope && combine.TryGetValue(key, out var reduce) ? reduce : null;
        }
    }

    /// <summary>The static breakpoints of this call of the runner, if any.</summary>
    public FlowBreakpoints? Breakpoints { get; init; }

    /// <summary>Whether the run is being resumed at this step after an interrupt there (its breakpoint does not stop it again).</summary>
    private bool IsResumedAt(string frameId, int stepIndex) =>
        _record.Interrupt is { } interrupt && interrupt.Frame == frameId && interrupt.StepIndex == stepIndex;

    public int MaxPostConflictRetries { get; }

    public ILogger Logger { get; }

    public TimeProvider Time => Store.Time;

    public StateScope RunScope { get; }

    public IStateReader RunReader => _runReader ??= Store.For(RunScope).AsReadOnly();

    public IStateReader GlobalReader => _globalReader ??= Store.For(StateScope.Global).AsReadOnly();

    /// <summary>The run's bookkeeping: <c>workflow:{runId}:$flow:</c> (a runtime scope no application scope can name).</summary>
    public IStateStore Bookkeeping => _bookkeeping ??= Store.For(BookkeepingScopeOf(RunId));

    public long StepsRun => Interlocked.Read(ref _stepsRun);

    public RunRecord Record => _record;

    /// <summary>The interrupt this execution resumes (with its input), until the interrupted step commits.</summary>
    public InterruptRecord? Interrupt => _record.Interrupt;

    public static StateScope BookkeepingScopeOf(string runId) => StateScope.Workflow(runId).ChildOfKind(ScopeSegmentKind.Runtime, BookkeepingName);

    public static string FrameKey(string frameId) => FrameKeyPrefix + frameId;

    public StateScope StepScope(string nodeName) => LazyInitializer.EnsureInitialized(ref _stepScopes, static () => new(StringComparer.Ordinal)).GetOrAdd(nodeName, static (name, runScope) => runScope.ChildStep(name), RunScope);

    public IStateReader StepReader(string nodeName) =>
        LazyInitializer.EnsureInitialized(ref _stepReaders, static () => new(StringComparer.Ordinal)).GetOrAdd(nodeName, static (name, run) => run.Store.For(run.StepScope(name)).AsReadOnly(), this);

    /// <summary>Runs <paramref name="flow"/> as frame <paramref name="frameId"/> from its recorded progress; returns the action it ended with.</summary>
    public async ValueTask<string> RunFrameAsync(Flow flow, string frameId, IReadOnlyDictionary<string, JsonElement> parameters, CancellationToken cancellationToken)
    {
        var node = flow.Start;
        var steps = 0;
        if (RecordProgress)
        {
            var entry = await Bookkeeping.GetEntryAsync(FrameKey(frameId), cancellationToken).ConfigureAwait(false);
            if (entry is not null)
            {
                var frame = entry.Deserialize(FlowRecordsJsonContext.Default.FrameRecord)!;
                if (frame.Done)
                {
                    return frame.Action ?? "default";
                }

                if (frame.Next is null || !flow.Nodes.TryGetValue(frame.Next, out var next))
                {
                    throw new FlowResumeException(RunId, $"its next node '{frame.Next}' is not a node of flow '{flow.Name}'; resume it with the flow it was started with.");
                }

                node = next;
                steps = frame.Steps;
            }

            if (_record.Interrupt is { Route: { } route } interrupt && interrupt.Frame == frameId && interrupt.StepIndex == steps)
            {
                node = flow.Nodes.TryGetValue(route, out var routed)
                    ? routed
                    : throw new FlowResumeException(RunId, $"FlowRunOptions.ResumeAt names '{route}', but the run was interrupted in flow '{flow.Name}', whose nodes are {string.Join(", ", flow.Nodes.Keys.Order(StringComparer.Ordinal).Select(n => $"'{n}'"))}; resume it with a ResumeAt naming one of them.");
            }
        }

        while (true)
        {
            if (steps >= flow.MaxSteps)
            {
                throw new FlowException(
                    $"Run '{RunId}' took {flow.MaxSteps} steps in flow '{flow.Name}' without ending (next node '{node.Name}'); fix the loop's exit or raise FlowBuilder.WithMaxSteps.",
                    RunId,
                    node.Name);
            }

            if (Breakpoints?.StopsBefore(node.Name) == true && !IsResumedAt(frameId, steps))
            {
                throw new FlowInterruptedException(RunId, node.Name, $"breakpoint before '{node.Name}'") { Frame = frameId, StepIndex = steps };
            }

            var step = new StepInvocation(this, flow, node, frameId, steps, parameters, cancellationToken);
            using var activity = FlowDiagnostics.Source.StartActivity("flow.step");
            activity?.SetTag("flowstate.run_id", RunId);
            activity?.SetTag("flowstate.node", node.Name);
            activity?.SetTag("flowstate.step", steps);
            var watched = IsWatched;
            var measured = Store.Instruments.FlowSteps.Enabled || Store.Instruments.FlowStepDuration.Enabled;
            var started = watched || measured ? Time.GetTimestamp() : 0;
            // Stamped from the timestamp just read (and the step's later events from it plus the step's elapsed time):
            // no wall-clock read of its own.
            var startedAt = default(DateTimeOffset);
            if (watched)
            {
                startedAt = WallTimeAt(started);
                await PublishAsync(StepEvent(FlowEventKind.StepStarted, step, startedAt), cancellationToken).ConfigureAwait(false);
            }

            string action;
            try
            {
                action = await node.RunStepAsync(step).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not FlowException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                var elapsed = Elapsed(started);
                RecordStep(flow, measured, elapsed, "failed");
                var failure = new FlowStepException(RunId, node.Name, steps, ex);
                await PublishStepFailedAsync(step, failure, startedAt, elapsed).ConfigureAwait(false);
                throw failure;
            }
            catch (FlowException ex) when (ex is not FlowInterruptedException)
            {
                // Already a flow error (an unknown action, a failed step of a nested flow): reported as it is.
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                var elapsed = Elapsed(started);
                RecordStep(flow, measured, elapsed, "failed");
                await PublishStepFailedAsync(step, ex, startedAt, elapsed).ConfigureAwait(false);
                throw;
            }

            var took = Elapsed(started);
            RecordStep(flow, measured, took, "committed");
            if (IsWatched)
            {
                await PublishAsync(
                    StepEvent(FlowEventKind.StepCommitted, step, StampAfter(startedAt, took), action, step.CommittedChanges ?? [], took, StepsRun + 1),
                    cancellationToken).ConfigureAwait(false);
            }

            activity?.SetTag("flowstate.action", action);
            Interlocked.Increment(ref _stepsRun);
            steps++;
            if (step.NextNode is not { } following)
            {
                return action;
            }

            if (Breakpoints?.StopsAfter(node.Name) == true)
            {
                // The interrupt is the next step's: resuming runs that step, its own breakpoint skipped.
                throw new FlowInterruptedException(RunId, following.Name, $"breakpoint after '{node.Name}'") { Frame = frameId, StepIndex = steps };
            }

            node = following;
        }
    }

    /// <summary>A new event of this run, stamped now.</summary>
    public FlowEvent NewEvent(FlowEventKind kind) => new() { Kind = kind, RunId = RunId, Flow = _record.Flow, Timestamp = StampNow() };

    /// <summary>Now, on the execution's event clock (see <see cref="WallTimeAt"/>): what every event of the execution is stamped by.</summary>
    public DateTimeOffset StampNow() => WallTimeAt(Time.GetTimestamp());

    /// <summary>A step's event, built in one go (two of them per step while the run is watched).</summary>
    public FlowEvent StepEvent(
        FlowEventKind kind,
        StepInvocation step,
        DateTimeOffset timestamp,
        string? action = null,
        IReadOnlyList<FlowKeyChange>? changes = null,
        TimeSpan? duration = null,
        long? steps = null,
        string? error = null,
        int? attempt = null) => new()
        {
            Kind = kind,
            RunId = RunId,
            Flow = _record.Flow,
            Timestamp = timestamp,
            Node = step.Node.Name,
            Frame = step.FrameId,
            StepIndex = step.StepIndex,
            Action = action,
            Changes = changes,
            Duration = duration,
            Steps = steps,
            Error = error,
            Attempt = attempt,
        };

    /// <summary>Hands an event to the run's watchers (waiting while one of them is full).</summary>
    public ValueTask PublishAsync(FlowEvent flowEvent, CancellationToken cancellationToken) =>
        Events is { } events ? events.PublishAsync(flowEvent, cancellationToken) : ValueTask.CompletedTask;

    private async ValueTask PublishStepFailedAsync(StepInvocation step, Exception failure, DateTimeOffset startedAt, TimeSpan? elapsed)
    {
        if (IsWatched)
        {
            // Whatever failed the step (its token included), the watchers hear of it before the run's failure.
            await PublishAsync(
                StepEvent(FlowEventKind.StepFailed, step, StampAfter(startedAt, elapsed), error: failure.Message, duration: elapsed),
                CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The time a step's event happened: its start's time plus the time since, or now when the start was not stamped (the run was not watched then).</summary>
    private DateTimeOffset StampAfter(DateTimeOffset startedAt, TimeSpan? elapsed) =>
        startedAt == default || elapsed is not { } since ? StampNow() : startedAt + since;

    private TimeSpan? Elapsed(long started) => started == 0 ? null : Time.GetElapsedTime(started);

    /// <summary>
    /// The wall-clock time of <paramref name="timestamp"/> (one of <see cref="Time"/>'s timestamps): the execution's
    /// first event reads the wall clock once, later ones add their distance from it. A clock read was a visible part of
    /// a watched step in memory (docs/performance.md), and the execution's events stay in time order even if the wall
    /// clock is set back meanwhile.
    /// </summary>
    private DateTimeOffset WallTimeAt(long timestamp)
    {
        var origin = Volatile.Read(ref _stampOrigin);
        if (origin is null)
        {
            // Parallel branches may race here: whichever origin is kept, every step is stamped from that one.
            Interlocked.CompareExchange(ref _stampOrigin, new StampOrigin(Time.GetUtcNow(), Time.GetTimestamp()), null);
            origin = _stampOrigin;
        }

        return origin.UtcTime + Time.GetElapsedTime(origin.Timestamp, timestamp);
    }

    /// <summary>
    /// What a step's writes change, each key with its value before (read now, before the commit) and after; values
    /// past <see cref="EventValueLimit"/> by their size only.
    /// </summary>
    private async ValueTask<FlowKeyChange[]> ReadChangesAsync(StagedWrites? writes, CancellationToken cancellationToken)
    {
        var staged = writes?.InOrder ?? [];
        var changes = staged.Count == 0 ? [] : new FlowKeyChange[staged.Count];
        for (var i = 0; i < changes.Length; i++)
        {
            var write = staged[i];
            var before = await Store.ReadEntryAsync(write.Scope, write.Key, cancellationToken).ConfigureAwait(false);
            // A deleted key has no value after (a null array would convert to an empty value, not to none).
            var after = write.Value is { } now ? now : default(ReadOnlyMemory<byte>?);
            changes[i] = FlowKeyChange.FromUtf8(write.Scope.Path, write.Key, before?.Value, after, EventValueLimit);
        }

        return changes;
    }

    private void RecordStep(Flow flow, bool measured, TimeSpan? elapsed, string outcome)
    {
        if (!measured || elapsed is not { } took)
        {
            return;
        }

        var flowTag = new KeyValuePair<string, object?>("flowstate.flow", flow.Name);
        Store.Instruments.FlowSteps.Add(1, flowTag, new KeyValuePair<string, object?>("flowstate.outcome", outcome));
        Store.Instruments.FlowStepDuration.Record(took.TotalSeconds, flowTag);
    }

    /// <summary>Commits a step: its staged writes, its frame's progress, the removal of its finished children's progress, and the run record.</summary>
    public async ValueTask CommitStepAsync(StepInvocation step, StagedWrites? writes, string action, int childFrames)
    {
        var next = step.Flow.Next(step.Node, action, RunId);
        if (IsWatched)
        {
            step.CommittedChanges = await ReadChangesAsync(writes, step.CancellationToken).ConfigureAwait(false);
        }

        if (!RecordProgress && (writes is null || writes.Count == 0))
        {
            step.NextNode = next;
            return;
        }

        var batch = new StateBatch(Store.SerializerOptions);
        writes?.AddTo(batch);
        if (!RecordProgress)
        {
            await ApplyStepAsync(batch, step.CancellationToken).ConfigureAwait(false);
            step.NextNode = next;
            return;
        }

        var bookkeeping = batch.Within(Bookkeeping.CurrentScope);
        var progress = new FrameRecord(next?.Name, step.StepIndex + 1, next is null, next is null ? action : null) { Ran = step.Node.Name };
        bookkeeping.Set(FrameKey(step.FrameId), progress, FlowRecordsJsonContext.Default.FrameRecord);
        for (var i = 0; i < childFrames; i++)
        {
            bookkeeping.Delete(FrameKey(step.ChildFrameId(i)));
        }

        // Steps of parallel branches commit one at a time so that the run record's step count stays exact.
        await _commitLock.WaitAsync(step.CancellationToken).ConfigureAwait(false);
        try
        {
            var record = _record with { Steps = _record.Steps + 1, UpdatedAt = Time.GetUtcNow() };
            if (record.Interrupt is { } interrupt && interrupt.Frame == step.FrameId && interrupt.StepIndex == step.StepIndex)
            {
                record = record with { Interrupt = null };
            }

            bookkeeping.Set(RunKey, record, FlowRecordsJsonContext.Default.RunRecord);
            if (_history is not null)
            {
                var checkpoint = new CheckpointRecord(
                    record.Steps, step.Node.Name, action, record.UpdatedAt, FlowHistory.ChangesOf(writes, RunScope), step.FrameId, step.StepIndex, progress);
                FlowHistory.Add(bookkeeping, checkpoint);
                await _history.ApplyRetentionAsync(bookkeeping, checkpoint.Index, record.UpdatedAt, step.CancellationToken).ConfigureAwait(false);
            }

            await ApplyStepAsync(batch, step.CancellationToken).ConfigureAwait(false);
            _record = record;
        }
        finally
        {
            _commitLock.Release();
        }

        step.NextNode = next;
    }

    private ValueTask<long> ApplyStepAsync(StateBatch batch, CancellationToken cancellationToken) =>
        Deferred is not null ? Store.ApplyGlobalDeferredAsync(batch, Deferred, cancellationToken)
        : StepsWrittenBehind ? Store.ApplyGlobalBehindAsync(batch, cancellationToken)
        : Store.ApplyGlobalAsync(batch, cancellationToken);

    public void Dispose() => _commitLock.Dispose();

    /// <summary>Writes the run record with a new status (and the error of a failed run).</summary>
    public async ValueTask SetStatusAsync(FlowRunStatus status, string? error, CancellationToken cancellationToken, InterruptRecord? interrupt = null)
    {
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var record = _record with { Status = status, Error = error, UpdatedAt = Time.GetUtcNow(), Interrupt = interrupt ?? _record.Interrupt };
            await Bookkeeping.SetAsync(RunKey, record, FlowRecordsJsonContext.Default.RunRecord, null, cancellationToken).ConfigureAwait(false);
            _record = record;
        }
        finally
        {
            _commitLock.Release();
        }
    }

    /// <summary>A wall-clock time and the <see cref="TimeProvider"/> timestamp read with it.</summary>
    private sealed record StampOrigin(DateTimeOffset UtcTime, long Timestamp);
}
