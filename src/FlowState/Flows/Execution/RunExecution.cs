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
    private const string FrameKeyPrefix = "frame:";
    private const string BookkeepingName = "flow";

    private readonly SemaphoreSlim _commitLock = new(1, 1);

    // Made on first use: a run of small nodes that never reads step state should not pay for them.
    private ConcurrentDictionary<string, StateScope>? _stepScopes;
    private ConcurrentDictionary<string, IStateReader>? _stepReaders;
    private IStateReader? _runReader;
    private IStateReader? _globalReader;
    private IStateStore? _bookkeeping;
    private RunRecord _record;
    private long _stepsRun;

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

    public string RunId { get; }

    public bool RecordProgress { get; }

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

            var step = new StepInvocation(this, flow, node, frameId, steps, parameters, cancellationToken);
            using var activity = FlowDiagnostics.Source.StartActivity("flow.step");
            activity?.SetTag("flowstate.run_id", RunId);
            activity?.SetTag("flowstate.node", node.Name);
            activity?.SetTag("flowstate.step", steps);
            var started = FlowStateMetrics.FlowSteps.Enabled || FlowStateMetrics.FlowStepDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
            string action;
            try
            {
                action = await node.RunStepAsync(step).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not FlowException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                RecordStep(flow, started, "failed");
                throw new FlowStepException(RunId, node.Name, steps, ex);
            }
            catch (FlowException ex) when (ex is not FlowInterruptedException)
            {
                // Already a flow error (an unknown action, a failed step of a nested flow): reported as it is.
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                RecordStep(flow, started, "failed");
                throw;
            }

            RecordStep(flow, started, "committed");

            activity?.SetTag("flowstate.action", action);
            Interlocked.Increment(ref _stepsRun);
            steps++;
            if (step.NextNode is not { } following)
            {
                return action;
            }

            node = following;
        }
    }

    private static void RecordStep(Flow flow, long started, string outcome)
    {
        if (started == 0)
        {
            return;
        }

        var flowTag = new KeyValuePair<string, object?>("flowstate.flow", flow.Name);
        FlowStateMetrics.FlowSteps.Add(1, flowTag, new KeyValuePair<string, object?>("flowstate.outcome", outcome));
        FlowStateMetrics.FlowStepDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, flowTag);
    }

    /// <summary>Commits a step: its staged writes, its frame's progress, the removal of its finished children's progress, and the run record.</summary>
    public async ValueTask CommitStepAsync(StepInvocation step, StagedWrites? writes, string action, int childFrames)
    {
        var next = step.Flow.Next(step.Node, action, RunId);
        if (!RecordProgress && (writes is null || writes.Count == 0))
        {
            step.NextNode = next;
            return;
        }

        var batch = new StateBatch(Store.SerializerOptions);
        writes?.AddTo(batch);
        if (!RecordProgress)
        {
            await Store.ApplyGlobalAsync(batch, step.CancellationToken).ConfigureAwait(false);
            step.NextNode = next;
            return;
        }

        var bookkeeping = batch.Within(Bookkeeping.CurrentScope);
        var progress = new FrameRecord(next?.Name, step.StepIndex + 1, next is null, next is null ? action : null);
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

            await Store.ApplyGlobalAsync(batch, step.CancellationToken).ConfigureAwait(false);
            _record = record;
        }
        finally
        {
            _commitLock.Release();
        }

        step.NextNode = next;
    }

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
}
