using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlowState.Flows;

/// <summary>
/// Runs flows on a <see cref="StateStore"/> or a <see cref="SharedStateStore"/>. Each run has its own state (<c>workflow:{runId}:</c>, one key per
/// top-level field), each node its private state in the run (<c>workflow:{runId}:step:{node}:</c>), and all runs
/// share the global scope. Many runs may run at once on one runner.
/// </summary>
/// <remarks>
/// With progress recording (on by default when the store has a backend) every step commits its writes together
/// with the run's progress, so <see cref="ResumeAsync"/> continues a run that was interrupted — by a crash, a
/// failure or cancellation — after its last committed step, never running a committed post again.
/// </remarks>
public sealed class FlowRunner
{
    private readonly IStateStoreRoot _store;
    private readonly FlowRunnerOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, bool> _active = new(StringComparer.Ordinal);
    private readonly RunEventHub _events;
    private readonly FlowStateStorage? _runs;

    /// <summary>Creates a runner on <paramref name="store"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public FlowRunner(StateStore store, FlowRunnerOptions? options = null, ILogger<FlowRunner>? logger = null)
        : this((IStateStoreRoot)store, options, logger)
    {
        _runs = new FlowStateStorage(store);
    }

    /// <summary>
    /// Creates a runner on state shared with other processes. To split runs between workers, claim each run with
    /// <see cref="RunLeases"/> and give the runner the fenced store (<c>leases.Fence(lease)</c>): every step then
    /// commits only while the lease is still this worker's. Runs started without <see cref="FlowRunOptions.RunId"/>
    /// get a random id; <see cref="Runs"/> is not available.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public FlowRunner(SharedStateStore store, FlowRunnerOptions? options = null, ILogger<FlowRunner>? logger = null)
        : this((IStateStoreRoot)store, options, logger)
    {
    }

    private FlowRunner(IStateStoreRoot store, FlowRunnerOptions? options, ILogger<FlowRunner>? logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new FlowRunnerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.EventBufferCapacity, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(_options.EventValueLimit, nameof(options));
        _events = new RunEventHub(_options.EventBufferCapacity);
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxPostConflictRetries, nameof(options));
        if (_options.History is { } history)
        {
            if (_options.RecordProgress == false)
            {
                throw new ArgumentException("History needs progress records: leave RecordProgress unset or true when History is set.", nameof(options));
            }

            if (history.MaxCheckpoints is < 1 || history.MaxAge is { } age && age <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(options), "History.MaxCheckpoints must be at least 1 and History.MaxAge positive.");
            }
        }

        _logger = logger ?? NullLogger<FlowRunner>.Instance;
    }

    /// <summary>Creates a runner with options bound through dependency injection.</summary>
    public FlowRunner(StateStore store, IOptions<FlowRunnerOptions> options, ILogger<FlowRunner> logger)
        : this(store, (options ?? throw new ArgumentNullException(nameof(options))).Value, logger)
    {
    }

    /// <summary>The runs' state.</summary>
    /// <exception cref="InvalidOperationException">The runner is on a <see cref="SharedStateStore"/>: read run state through the store.</exception>
    public FlowStateStorage Runs => _runs ?? throw new InvalidOperationException("A runner on a SharedStateStore has no FlowStateStorage; read a run's state through the store (StateScope.Workflow(runId)).");

    /// <summary>Whether steps commit the run's progress, so that runs can be resumed.</summary>
    public bool RecordsProgress => _options.RecordProgress ?? (_store.HasBackend || _options.History is not null);

    /// <summary>Starts a run of <paramref name="flow"/> with <paramref name="initialState"/> (an object whose properties become the run's fields) and runs it to the end.</summary>
    /// <returns>The run id, the final action and the run's final state.</returns>
    /// <exception cref="FlowStepException">A step failed; the run is recorded as failed and can be resumed.</exception>
    /// <exception cref="FlowRouteException">A node returned an action its flow does not connect.</exception>
    /// <exception cref="FlowException">The run id is in use, or the run took more steps than the flow allows.</exception>
    /// <exception cref="ArgumentException"><paramref name="initialState"/> is not a JSON object, or a field name is not a valid key.</exception>
    public async Task<FlowRunResult> RunAsync(Flow flow, object? initialState = null, FlowRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(flow);
        options ??= new FlowRunOptions();
        var fields = initialState is null ? [] : FlowStateStorage.ToFields(initialState, _store.SerializerOptions, nameof(initialState));
        var parameters = FlowParameters.From(options.Params, _store.SerializerOptions, "Flow parameters");
        var breakpoints = BreakpointsOf(flow, options);
        var runId = options.RunId ?? NewRunId();
        using (Claim(runId))
        {
            var bookkeeping = _store.For(RunExecution.BookkeepingScopeOf(runId));
            var now = _store.Time.GetUtcNow();
            var record = new RunRecord(flow.Name, FlowRunStatus.Running, 0, now, now, null);
            var batch = new StateBatch(_store.SerializerOptions);
            var runBatch = batch.Within(StateScope.Workflow(runId));
            FlowStateStorage.AddFields(runBatch, fields);
            // The graph before the record: a follower (FollowAsync) knows a commit starts a run by the graph in it.
            var bookkeepingBatch = batch.Within(bookkeeping.CurrentScope)
                .Set(RunExecution.GraphKey, flow.ToGraph(), FlowRecordsJsonContext.Default.FlowGraph)
                .RequireVersion(RunExecution.RunKey, 0)
                .Set(RunExecution.RunKey, record, FlowRecordsJsonContext.Default.RunRecord);
            if (_options.History is not null)
            {
                FlowHistory.Add(bookkeepingBatch, new CheckpointRecord(0, null, null, now, [.. fields.Select(f => new FlowStateChange(null, f.Key, f.Value))], null, 0, null));
            }
            var durability = DurabilityOf(options);
            try
            {
                // An asynchronous run's start is written behind like its steps (the version check is decided in memory).
                if (durability == FlowRunDurability.Async)
                {
                    await _store.ApplyGlobalBehindAsync(batch, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _store.ApplyGlobalAsync(batch, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (StateConflictException ex)
            {
                throw new FlowException($"Run '{runId}' already exists; resume it with ResumeAsync or choose another run id.", runId, null, ex);
            }

            return await ExecuteAsync(flow, runId, RecordsProgress, record, resumed: false, parameters, RetentionOf(flow, options), breakpoints, durability, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Continues a run that did not complete (its process crashed, a step failed, or it was cancelled) after its
    /// last committed step, with the flow it was started with.
    /// </summary>
    /// <exception cref="FlowResumeException">The run does not exist, has completed, belongs to another flow, or the runner does not record progress.</exception>
    public async Task<FlowRunResult> ResumeAsync(Flow flow, string runId, FlowRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(runId);
        options ??= new FlowRunOptions();
        if (!RecordsProgress)
        {
            throw new FlowResumeException(runId, "this runner does not record progress (its store has no backend); use a durable store or set FlowRunnerOptions.RecordProgress.");
        }

        var breakpoints = BreakpointsOf(flow, options);
        using (Claim(runId))
        {
            var record = await ReadRecordAsync(runId, cancellationToken).ConfigureAwait(false)
                ?? throw new FlowResumeException(runId, "there is no such run in this store.");
            if (record.Status == FlowRunStatus.Completed)
            {
                throw new FlowResumeException(runId, "it has completed.");
            }

            if (record.Flow != flow.Name)
            {
                throw new FlowResumeException(runId, $"it runs flow '{record.Flow}', not '{flow.Name}'.");
            }

            if (options.ResumeAt is { } route)
            {
                if (record.Interrupt is null)
                {
                    throw new FlowResumeException(runId, $"it was not interrupted ({record.Status}); FlowRunOptions.ResumeAt routes an interrupted run to another node.");
                }

                if (!flow.AllNodeNames().Contains(route, StringComparer.Ordinal))
                {
                    throw new ArgumentException($"FlowRunOptions.ResumeAt names '{route}', which is no node of flow '{flow.Name}'.", nameof(options));
                }
            }

            var resumeInput = record.Interrupt is not null && options.ResumeInput is not null
                ? JsonSerializer.SerializeToElement(options.ResumeInput, _store.SerializerOptions)
                : (JsonElement?)null;
            return await ExecuteAsync(flow, runId, recordProgress: true, record, resumed: true, FlowParameters.From(options.Params, _store.SerializerOptions, "Flow parameters"), RetentionOf(flow, options), breakpoints, DurabilityOf(options), cancellationToken, resumeInput, options.ResumeAt).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a run is kept once it completes, and for how long (null: until deleted).</summary>
    private readonly record struct RunRetention(bool Keep, TimeSpan? For);

    private FlowRunDurability DurabilityOf(FlowRunOptions options) => options.Durability ?? _options.Durability;

    private RunRetention RetentionOf(Flow flow, FlowRunOptions options)
    {
        if (options.RetainFor is { } keptFor && keptFor <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), keptFor, "FlowRunOptions.RetainFor must be positive.");
        }

        // The run's own choice, then its flow's, then the runner's.
        var retainFor = options.RetainFor ?? flow.CompletedRunRetention ?? _options.CompletedRunRetention;
        var keep = options.RetainFor is not null || (options.RetainState ?? (flow.CompletedRunRetention is not null || _options.RetainCompletedRuns));
        return new RunRetention(keep, retainFor);
    }

    /// <summary>
    /// Gives every key of a completed run (its state, steps' state, history and record) the time to live
    /// <paramref name="keptFor"/>, in one batch, so that the store's expiry removes the run whole.
    /// </summary>
    private async ValueTask ExpireRunAsync(string runId, TimeSpan keptFor, CancellationToken cancellationToken)
    {
        var run = _store.For(StateScope.Workflow(runId));
        var batch = new StateBatch(_store.SerializerOptions);
        var expiring = StateWriteOptions.WithTimeToLive(keptFor);
        await foreach (var key in run.ListAllAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (await _store.For(key.Scope).GetEntryAsync(key.Key, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                batch.Within(key.Scope).RequireVersion(key.Key, entry.Version).SetRaw(key.Key, entry.Value.Span, expiring);
            }
        }

        await _store.ApplyGlobalAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The call's breakpoints; they interrupt the run, so the runner must record progress to resume it.</summary>
    private FlowBreakpoints? BreakpointsOf(Flow flow, FlowRunOptions options)
    {
        var breakpoints = FlowBreakpoints.From(flow, options);
        if (breakpoints is not null && !RecordsProgress)
        {
            throw new FlowException(
                $"Breakpoints interrupt a run of flow '{flow.Name}', but this runner does not record progress, so the run could not be resumed; use a durable store or FlowRunnerOptions.RecordProgress.",
                options.RunId ?? string.Empty,
                null);
        }

        return breakpoints;
    }

    /// <summary>
    /// Runs <paramref name="flow"/> once per parameter set, <paramref name="maxDegreeOfParallelism"/> at a time, in one
    /// run started with <paramref name="initialState"/>, and returns the run's final state (the async parallel batch).
    /// </summary>
    public async Task<JsonObject> RunBatchAsync(
        Flow flow,
        IEnumerable<object> parameterSets,
        object? initialState = null,
        int maxDegreeOfParallelism = 4,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(parameterSets);
        var sets = parameterSets.ToList();
        return await RunBatchFlowAsync(flow, (_, _) => ValueTask.FromResult<IEnumerable<object>>(sets), initialState, maxDegreeOfParallelism, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="flow"/> once per item of the array <paramref name="itemsKey"/> of the run's initial state,
    /// <paramref name="maxDegreeOfParallelism"/> at a time (PocketFlex's <c>run_async_batch</c>): an object item's fields
    /// become the parameters of its run of the flow (<c>context.Params</c>), any other item the parameter <c>item</c>.
    /// Returns the run's final state.
    /// </summary>
    /// <exception cref="FlowException">The initial state has no array under <paramref name="itemsKey"/>.</exception>
    public async Task<JsonObject> RunBatchAsync(
        Flow flow,
        string itemsKey,
        object initialState,
        int maxDegreeOfParallelism = 4,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentException.ThrowIfNullOrWhiteSpace(itemsKey);
        ArgumentNullException.ThrowIfNull(initialState);
        return await RunBatchFlowAsync(
            flow,
            async (state, context) =>
            {
                var items = await state.GetAsync<JsonElement?>(itemsKey).ConfigureAwait(false);
                if (items is not { ValueKind: JsonValueKind.Array } array)
                {
                    throw new FlowException(
                        $"Run '{context.RunId}' of flow '{flow.Name}' has no array '{itemsKey}' in its state to take the batch's items from (found {items?.ValueKind.ToString() ?? "nothing"}); give the initial state an array under '{itemsKey}'.",
                        context.RunId,
                        flow.Name);
                }

                return [.. array.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.Object ? (object)item : new Dictionary<string, JsonElement> { ["item"] = item })];
            },
            initialState,
            maxDegreeOfParallelism,
            cancellationToken).ConfigureAwait(false);
    }

    // Both batch runs: one run of a flow that is the batch of the flow over the items prep gives.
    private async Task<JsonObject> RunBatchFlowAsync(
        Flow flow,
        Func<IStateReader, PrepContext, ValueTask<IEnumerable<object>>> items,
        object? initialState,
        int maxDegreeOfParallelism,
        CancellationToken cancellationToken)
    {
        var batch = new BatchFlow(flow.Name, flow, items, maxDegreeOfParallelism: maxDegreeOfParallelism);
        var wrapper = new FlowBuilder(flow.Name).Add(batch).Build();
        var result = await RunAsync(wrapper, initialState, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.State;
    }

    /// <summary>What the store knows about <paramref name="runId"/>, or null when there is no such run (or it completed and was cleaned up).</summary>
    public async ValueTask<FlowRunInfo?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var record = await ReadRecordAsync(runId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return null;
        }

        // Recorded as "{run}@{step}"; a run id may itself contain '@', the step never does.
        var at = record.ForkedFrom?.LastIndexOf('@') ?? -1;
        var frame = await _store.For(RunExecution.BookkeepingScopeOf(runId)).GetEntryAsync(RunExecution.FrameKey(RunExecution.RootFrameId), cancellationToken).ConfigureAwait(false);
        var progress = frame?.Deserialize(FlowRecordsJsonContext.Default.FrameRecord);
        return new FlowRunInfo(runId, record.Flow, record.Status, record.Steps, record.StartedAt, record.UpdatedAt, record.Error)
        {
            ForkedFromRun = at < 0 ? null : record.ForkedFrom![..at],
            ForkedFromStep = at < 0 ? null : long.Parse(record.ForkedFrom![(at + 1)..], CultureInfo.InvariantCulture),
            NextNode = progress is { Done: false } ? progress.Next : null,
            InterruptedAt = record.Status == FlowRunStatus.Interrupted ? record.Interrupt?.Node : null,
            Question = record.Status == FlowRunStatus.Interrupted ? record.Interrupt?.Reason : null,
        };
    }

    /// <summary>The graph of the flow <paramref name="runId"/> was started with (a fork: its source's), or null when there is no such run or it started before runs recorded their graph.</summary>
    public async ValueTask<FlowGraph?> GetGraphAsync(string runId, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateScopeName(runId, nameof(runId));
        var entry = await _store.For(RunExecution.BookkeepingScopeOf(runId)).GetEntryAsync(RunExecution.GraphKey, cancellationToken).ConfigureAwait(false);
        return entry?.Deserialize(FlowRecordsJsonContext.Default.FlowGraph);
    }

    /// <summary>The kept checkpoints of a run, oldest first (older ones were folded by retention); empty without history.</summary>
    public async ValueTask<IReadOnlyList<FlowCheckpoint>> GetHistoryAsync(string runId, CancellationToken cancellationToken = default)
    {
        var bookkeeping = _store.For(RunExecution.BookkeepingScopeOf(runId));
        var record = await ReadRecordAsync(runId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return [];
        }

        var historyBase = await FlowHistory.ReadBaseAsync(bookkeeping, cancellationToken).ConfigureAwait(false);
        var checkpoints = new List<FlowCheckpoint>();
        for (var index = historyBase.Index + 1; index <= record.Steps; index++)
        {
            if (await FlowHistory.ReadAsync(bookkeeping, index, cancellationToken).ConfigureAwait(false) is { } checkpoint)
            {
                checkpoints.Add(checkpoint.ToCheckpoint());
            }
        }

        return checkpoints;
    }

    /// <summary>The run's state (its top-level fields) right after checkpoint <paramref name="index"/> committed.</summary>
    /// <exception cref="FlowException">The run has no such checkpoint: it has no history, or retention folded the checkpoint away.</exception>
    public async ValueTask<JsonObject> GetStateAtAsync(string runId, long index, CancellationToken cancellationToken = default)
    {
        var bookkeeping = _store.For(RunExecution.BookkeepingScopeOf(runId));
        var record = await ReadRecordAsync(runId, cancellationToken).ConfigureAwait(false);
        var state = await FlowHistory.StateAtAsync(bookkeeping, runId, record, index, cancellationToken).ConfigureAwait(false);
        var fields = new JsonObject();
        foreach (var change in state.State.Where(c => c.Step is null).OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            fields[change.Key] = JsonSerializer.SerializeToNode(change.Value);
        }

        return fields;
    }

    /// <summary>
    /// Starts a new run from checkpoint <paramref name="index"/> of <paramref name="runId"/>: the new run has the state
    /// (fields and steps' private state) and the position (of every sub-flow) the source had right after that step.
    /// Run it with <see cref="ResumeAsync"/>. The fork's own history starts with that state as checkpoint 0.
    /// </summary>
    /// <returns>The new run's id.</returns>
    /// <exception cref="FlowException">The source has no such checkpoint (history off or folded), or the new run id is in use.</exception>
    public async Task<string> ForkAsync(string runId, long index, string? newRunId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        var record = await ReadRecordAsync(runId, cancellationToken).ConfigureAwait(false);
        var state = await FlowHistory.StateAtAsync(_store.For(RunExecution.BookkeepingScopeOf(runId)), runId, record, index, cancellationToken).ConfigureAwait(false);
        var forkId = newRunId ?? NewRunId();
        var now = _store.Time.GetUtcNow();
        var batch = new StateBatch(_store.SerializerOptions);
        var forkScope = StateScope.Workflow(forkId);
        foreach (var change in state.State)
        {
            var target = change.Step is null ? batch.Within(forkScope) : batch.Within(forkScope.ChildStep(change.Step));
            target.Set(change.Key, change.Value);
        }

        var bookkeeping = batch.Within(RunExecution.BookkeepingScopeOf(forkId));
        foreach (var (frame, progress) in state.Frames)
        {
            bookkeeping.Set(RunExecution.FrameKey(frame), progress, FlowRecordsJsonContext.Default.FrameRecord);
        }

        if (await _store.For(RunExecution.BookkeepingScopeOf(runId)).GetEntryAsync(RunExecution.GraphKey, cancellationToken).ConfigureAwait(false) is { } graph)
        {
            bookkeeping.SetRaw(RunExecution.GraphKey, graph.Value.Span);
        }

        var forked = new RunRecord(record!.Flow, FlowRunStatus.Running, 0, now, now, null) { ForkedFrom = $"{runId}@{index.ToString(CultureInfo.InvariantCulture)}" };
        bookkeeping.RequireVersion(RunExecution.RunKey, 0).Set(RunExecution.RunKey, forked, FlowRecordsJsonContext.Default.RunRecord);
        if (_options.History is not null)
        {
            bookkeeping.Set(FlowHistory.BaseKey, state with { Index = 0 }, FlowRecordsJsonContext.Default.HistoryBaseRecord);
        }

        try
        {
            await _store.ApplyGlobalAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (StateConflictException ex)
        {
            throw new FlowException($"Run '{forkId}' already exists; fork into another run id.", forkId, null, ex);
        }

        return forkId;
    }

    /// <summary>
    /// Changes a run's state between steps: each field of <paramref name="patch"/> replaces the run's field whole (a JSON
    /// <c>null</c> deletes it). With <paramref name="asNode"/> (a node of the nested flow, branch or batch item the run
    /// was interrupted in, else of the run's top-level flow) the update counts as that node's step (LangGraph's
    /// <c>update_state(as_node=…)</c>): the run moves to the node that follows it for <paramref name="action"/> (default
    /// <c>"default"</c>; no such edge for the default action: that flow ends there), and an interrupt it was waiting at
    /// is dropped, so <see cref="ResumeAsync"/> continues from the new position.
    /// Without <paramref name="asNode"/> the position does not move. With history on, the update is a checkpoint of its own.
    /// </summary>
    /// <returns>The index of the update among the run's steps.</returns>
    /// <exception cref="FlowException">There is no such run, it is running in this process, it has completed (with <paramref name="asNode"/>), or it changed while the update was made.</exception>
    /// <exception cref="ArgumentException"><paramref name="asNode"/> is no node of the run's top-level flow nor of the nested flow it was interrupted in, or it has no edge for <paramref name="action"/>.</exception>
    public async ValueTask<long> UpdateStateAsync(string runId, object patch, string? asNode = null, string? action = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        var fields = FlowStateStorage.ToFields(patch, _store.SerializerOptions, nameof(patch));
        if (_active.ContainsKey(runId))
        {
            throw new FlowException($"Run '{runId}' is running in this process; update its state between runs (after it stopped, failed or was interrupted).", runId, asNode);
        }

        var bookkeeping = _store.For(RunExecution.BookkeepingScopeOf(runId));
        var entry = await bookkeeping.GetEntryAsync(RunExecution.RunKey, cancellationToken).ConfigureAwait(false)
            ?? throw new FlowException($"Run '{runId}' does not exist in this store.", runId, asNode);
        var record = entry.Deserialize(FlowRecordsJsonContext.Default.RunRecord)!;
        var now = _store.Time.GetUtcNow();
        var updated = record with { Steps = record.Steps + 1, UpdatedAt = now };
        var batch = new StateBatch(_store.SerializerOptions);
        var run = batch.Within(StateScope.Workflow(runId));
        foreach (var (name, value) in fields)
        {
            _ = value.ValueKind == JsonValueKind.Null ? run.Delete(name) : run.Set(name, value);
        }

        var recordBatch = batch.Within(bookkeeping.CurrentScope).RequireVersion(RunExecution.RunKey, entry.Version);
        FrameRecord? position = null;
        var frameId = RunExecution.RootFrameId;
        if (asNode is not null)
        {
            (frameId, position, var frameVersion) = await PositionAfterAsync(bookkeeping, runId, record, asNode, action ?? "default", cancellationToken).ConfigureAwait(false);
            recordBatch.RequireVersion(RunExecution.FrameKey(frameId), frameVersion)
                .Set(RunExecution.FrameKey(frameId), position, FlowRecordsJsonContext.Default.FrameRecord);

            // The frames of a nested flow, branches or batch the run had entered at that step end with it, as a step's commit ends them.
            var children = RunExecution.FrameKey(string.Create(CultureInfo.InvariantCulture, $"{frameId}/{position.Steps - 1}."));
            await foreach (var child in bookkeeping.ListKeysAsync(children, cancellationToken).ConfigureAwait(false))
            {
                recordBatch.Delete(child);
            }
            updated = updated with { Interrupt = null, Status = record.Status == FlowRunStatus.Interrupted ? FlowRunStatus.Running : record.Status };
        }

        recordBatch.Set(RunExecution.RunKey, updated, FlowRecordsJsonContext.Default.RunRecord);
        if (_options.History is not null)
        {
            var changes = fields.Select(f => new FlowStateChange(null, f.Key, f.Value.ValueKind == JsonValueKind.Null ? null : f.Value)).ToList();
            FlowHistory.Add(recordBatch, new CheckpointRecord(updated.Steps, asNode, asNode is null ? null : action ?? "default", now, changes, position is null ? null : frameId, position?.Steps - 1 ?? 0, position));
        }

        try
        {
            await _store.ApplyGlobalAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (StateConflictException ex)
        {
            throw new FlowException($"Run '{runId}' changed while its state was being updated; read it again and retry.", runId, asNode, ex);
        }

        return updated.Steps;
    }

    /// <summary>
    /// The frame <paramref name="asNode"/> belongs to and the position it has once that node ran and returned
    /// <paramref name="action"/>, from the run's stored graph: the nested flow (or branch, or batch item) the run was
    /// interrupted in when that flow has the node, else the run's top level.
    /// </summary>
    private static async ValueTask<(string FrameId, FrameRecord Position, long FrameVersion)> PositionAfterAsync(
        IStateStore bookkeeping, string runId, RunRecord record, string asNode, string action, CancellationToken cancellationToken)
    {
        if (record.Status == FlowRunStatus.Completed)
        {
            throw new FlowException($"Run '{runId}' has completed; it has no position to move. Fork it (ForkAsync) to continue from one of its steps.", runId, asNode);
        }

        var graph = (await bookkeeping.GetEntryAsync(RunExecution.GraphKey, cancellationToken).ConfigureAwait(false))?.Deserialize(FlowRecordsJsonContext.Default.FlowGraph)
            ?? throw new FlowException($"Run '{runId}' has no stored flow graph, so its position cannot be moved as node '{asNode}'; update it without asNode.", runId, asNode);
        var frameId = RunExecution.RootFrameId;
        if (record.Interrupt is { Frame: { Length: > 0 } interruptedFrame }
            && await FrameGraphAsync(bookkeeping, graph, interruptedFrame, cancellationToken).ConfigureAwait(false) is { } nested
            && nested.Nodes.Any(n => n.Name == asNode))
        {
            (frameId, graph) = (interruptedFrame, nested);
        }

        if (!graph.Nodes.Any(n => n.Name == asNode))
        {
            throw new ArgumentException(
                $"'{asNode}' is no node of flow '{graph.Name}' (the run's top level) nor of the nested flow the run was interrupted in; its nodes are {string.Join(", ", graph.Nodes.Select(n => $"'{n.Name}'"))}.",
                nameof(asNode));
        }

        var next = graph.Edges.FirstOrDefault(e => e.From == asNode && e.Action == action)?.To;
        if (next is null && action != "default")
        {
            throw new ArgumentException($"Node '{asNode}' of flow '{graph.Name}' has no edge for action '{action}'; give an action it connects, or none.", nameof(action));
        }

        var frameEntry = await bookkeeping.GetEntryAsync(RunExecution.FrameKey(frameId), cancellationToken).ConfigureAwait(false);
        var steps = frameEntry?.Deserialize(FlowRecordsJsonContext.Default.FrameRecord)!.Steps ?? 0;
        return (frameId, new FrameRecord(next, steps + 1, next is null, next is null ? action : null) { Ran = asNode }, frameEntry?.Version ?? 0);
    }

    /// <summary>
    /// The graph of the flow that frame <paramref name="frameId"/> runs (<c>/step.child</c> per level below the top),
    /// found by following each level's current node into its subflows; null when the frames no longer lead there.
    /// </summary>
    private static async ValueTask<FlowGraph?> FrameGraphAsync(IStateStore bookkeeping, FlowGraph graph, string frameId, CancellationToken cancellationToken)
    {
        var current = RunExecution.RootFrameId;
        foreach (var level in frameId.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            // While a step's children run, its frame still names that step's node as the next one.
            var frame = (await bookkeeping.GetEntryAsync(RunExecution.FrameKey(current), cancellationToken).ConfigureAwait(false))?.Deserialize(FlowRecordsJsonContext.Default.FrameRecord);
            var node = graph.Nodes.FirstOrDefault(n => n.Name == (frame?.Next ?? graph.Start));
            var dot = level.IndexOf('.', StringComparison.Ordinal);
            if (node is null || dot < 0 || !int.TryParse(level.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var child) || node.Subflows.Count == 0)
            {
                return null;
            }

            // A nested flow and a batch flow run one subflow (every batch item the same); a parallel node one per branch.
            if (node.Subflows.Count > 1 && child >= node.Subflows.Count)
            {
                return null;
            }

            graph = node.Subflows[node.Subflows.Count == 1 ? 0 : child];
            current = string.Concat(current, "/", level);
        }

        return graph;
    }

    // Unique in this process's store; on shared state, random, since other processes start runs too.
    private string NewRunId() => _runs?.NewRunId() ?? $"run_{Guid.NewGuid():N}";

    /// <summary>Every run the store holds a record of (running, failed, or completed and retained), in storage order.</summary>
    /// <remarks>Walks every key of the store: meant for tools and inspection, not for a hot path.</remarks>
    public async IAsyncEnumerable<FlowRunInfo> ListRunsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var runId in RunIdsFromRecordKeysAsync(cancellationToken).ConfigureAwait(false))
        {
            var info = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
            if (info is not null)
            {
                yield return info;
            }
        }
    }

    // The ids of the runs whose record key is in the store, found by walking every key.
    private async IAsyncEnumerable<string> RunIdsFromRecordKeysAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var key in _store.For(StateScope.Global).ListAllAsync(RunExecution.RunKey, cancellationToken).ConfigureAwait(false))
        {
            var scope = key.Scope;
            if (key.Key == RunExecution.RunKey && scope.Kind == ScopeSegmentKind.Runtime && scope.Depth == 2 && scope.Parent!.Kind == ScopeSegmentKind.Workflow
                && scope == RunExecution.BookkeepingScopeOf(scope.Parent.Name))
            {
                yield return scope.Parent.Name;
            }
        }
    }

    /// <summary>
    /// The runs that match <paramref name="query"/>, newest first, one page of them, with how many match in all and per
    /// status. On a <see cref="StateStore"/> the store keeps an index of its runs in start order (built at the first
    /// query from the scope tree, then told by the store which run records change, from any runner), so a query reads
    /// only the page's runs and the records changed since the last query. Elsewhere every run record is found and read.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset is negative or the limit below 1.</exception>
    public async Task<FlowRunPage> QueryRunsAsync(FlowRunQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new FlowRunQuery();
        ArgumentOutOfRangeException.ThrowIfNegative(query.Offset, nameof(query));
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        var (total, pageIds, statusCounts) = _store is StateStore local
            ? await FlowRunIndex.For(local).QueryAsync(query, cancellationToken).ConfigureAwait(false)
            : await QueryByRecordKeysAsync(query, cancellationToken).ConfigureAwait(false);
        var page = new List<FlowRunInfo>(pageIds.Count);
        foreach (var runId in pageIds)
        {
            if (await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) is { } run)
            {
                page.Add(run);
            }
        }

        return new FlowRunPage(total, page, statusCounts);
    }

    // Where no index is kept (shared state, other stores): every record key is found and every record read.
    private async Task<(int Total, List<string> Page, Dictionary<FlowRunStatus, int> StatusCounts)> QueryByRecordKeysAsync(FlowRunQuery query, CancellationToken cancellationToken)
    {
        var matches = new List<(DateTimeOffset StartedAt, string RunId)>();
        var statusCounts = new Dictionary<FlowRunStatus, int>();
        await foreach (var runId in RunIdsFromRecordKeysAsync(cancellationToken).ConfigureAwait(false))
        {
            var entry = await _store.For(RunExecution.BookkeepingScopeOf(runId)).GetEntryAsync(RunExecution.RunKey, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                continue;
            }

            var summary = RunRecordSummary.Of(entry);
            if ((query.Flow is null || summary.Flow == query.Flow)
                && (query.StartedFrom is null || summary.StartedAt >= query.StartedFrom)
                && (query.StartedBefore is null || summary.StartedAt < query.StartedBefore))
            {
                statusCounts[summary.Status] = statusCounts.GetValueOrDefault(summary.Status) + 1;
                if (query.Status is null || summary.Status == query.Status)
                {
                    matches.Add((summary.StartedAt, runId));
                }
            }
        }

        // Only the runs up to the page's end are put in order: a first page of a large store sorts 50 runs, not all.
        var newestFirst = Comparer<(DateTimeOffset StartedAt, string RunId)>.Create(static (a, b) => b.StartedAt.CompareTo(a.StartedAt) is var byTime and not 0 ? byTime : string.CompareOrdinal(a.RunId, b.RunId));
        var page = TopOrdered.Take(matches, (long)query.Offset + query.Limit, newestFirst).Skip(query.Offset).Select(match => match.RunId).ToList();
        return (matches.Count, page, statusCounts);
    }

    /// <summary>
    /// Deletes run <paramref name="runId"/>: its state (fields and steps' private state), its progress records and its
    /// history. A run that is running in this process is refused; one running in another process is not seen, so
    /// delete only runs that ended (or use leases on a shared store).
    /// </summary>
    /// <returns>Whether there was such a run.</returns>
    /// <exception cref="FlowException">The run is running in this process.</exception>
    public async ValueTask<bool> DeleteRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateScopeName(runId, nameof(runId));
        using (Claim(runId))
        {
            return await _store.For(StateScope.Workflow(runId)).ClearAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
    }

    /// <summary>
    /// Deletes the runs that <paramref name="options"/> select (by default every completed or failed run), as
    /// <see cref="DeleteRunAsync"/> does, keeping per flow the <see cref="FlowRunPruneOptions.KeepLast"/> most recent.
    /// Runs running in this process are skipped.
    /// </summary>
    /// <returns>The ids of the runs deleted (with <see cref="FlowRunPruneOptions.DryRun"/>: that would be).</returns>
    /// <remarks>Walks every run record (<see cref="ListRunsAsync"/>): meant for maintenance, not for a hot path.</remarks>
    public async Task<IReadOnlyList<string>> PruneRunsAsync(FlowRunPruneOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FlowRunPruneOptions();
        if (options.KeepLast is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.KeepLast, "KeepLast must not be negative.");
        }

        var now = _store.Time.GetUtcNow();
        var candidates = new List<FlowRunInfo>();
        await foreach (var run in ListRunsAsync(cancellationToken).ConfigureAwait(false))
        {
            if ((options.Flow is null || run.FlowName == options.Flow)
                && options.Statuses.Contains(run.Status)
                && (options.OlderThan is not { } age || run.UpdatedAt <= now - age)
                && !_active.ContainsKey(run.RunId))
            {
                candidates.Add(run);
            }
        }

        var deleted = new List<string>();
        foreach (var flow in candidates.GroupBy(run => run.FlowName, StringComparer.Ordinal))
        {
            foreach (var run in flow.OrderByDescending(run => run.UpdatedAt).ThenByDescending(run => run.RunId, StringComparer.Ordinal).Skip(options.KeepLast ?? 0))
            {
                if (options.DryRun)
                {
                    deleted.Add(run.RunId);
                    continue;
                }

                try
                {
                    if (await DeleteRunAsync(run.RunId, cancellationToken).ConfigureAwait(false))
                    {
                        deleted.Add(run.RunId);
                    }
                }
                catch (FlowException)
                {
                    // It started running in this process since it was listed: it is not a candidate any more.
                }
            }
        }

        return deleted;
    }

    /// <summary>
    /// The events of run <paramref name="runId"/> in this process, from now on (the watch is registered when the method
    /// returns, so a run started right after is seen from its first event) until the run's last event (completed,
    /// interrupted, failed or cancelled), then the enumeration ends. Every event comes, in order; a watcher that falls
    /// <see cref="FlowRunnerOptions.EventBufferCapacity"/> events behind makes the run wait, so enumerate it (or
    /// cancel it) rather than leave it.
    /// </summary>
    /// <remarks>
    /// Runs in other processes are not seen: a runner hears only the runs it executes. Events are not stored; a
    /// run's history (<see cref="FlowRunnerOptions.History"/>) is what stays.
    /// </remarks>
    public IAsyncEnumerable<FlowEvent> WatchAsync(string runId, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateScopeName(runId, nameof(runId));
        return RunEventReader.Watch(_events, runId, cancellationToken);
    }

    /// <summary>
    /// Follows run <paramref name="runId"/> through the store's change feed, whichever process runs it — on a shared
    /// store (Redis, PostgreSQL), a run another worker executes — until its last event. Reports
    /// <see cref="FlowEventKind.RunStarted"/> or <see cref="FlowEventKind.RunResumed"/>, a
    /// <see cref="FlowEventKind.StepCommitted"/> per committed step (node, frame, step index, the keys it wrote), and
    /// <see cref="FlowEventKind.RunInterrupted"/>, <see cref="FlowEventKind.RunCompleted"/> or
    /// <see cref="FlowEventKind.RunFailed"/>; a run already completed reports that at once. Unlike <see cref="WatchAsync"/>
    /// it sees only what commits (no step starts, retries or failures of a step), never makes the run wait, and on a
    /// shared store does not know the values keys had before (their old value is null).
    /// </summary>
    /// <remarks>
    /// Subscribed when the method is called, so a run started right after is followed from its first step; the run's
    /// record is read when the enumeration starts (a round trip on a shared store), and a run that completed before that
    /// read is reported by its last event alone. A follower
    /// that falls more than the store's watch buffer behind ends with <see cref="StateLimitExceededException"/>, and
    /// one on a shared store whose connection is lost with <see cref="StateBackendException"/>: follow again.
    /// </remarks>
    public IAsyncEnumerable<FlowEvent> FollowAsync(string runId, CancellationToken cancellationToken = default)
    {
        StateNameValidator.ValidateScopeName(runId, nameof(runId));
        var changes = _store.For(StateScope.Workflow(runId)).WatchAsync(null, cancellationToken);
        return new RunFollower(_store, runId, _options.EventValueLimit).FollowAsync(changes, cancellationToken);
    }

    /// <summary>
    /// Starts a run like <see cref="RunAsync"/> and streams its events (<see cref="WatchAsync"/>) until its last one:
    /// <see cref="FlowEventKind.RunCompleted"/> or <see cref="FlowEventKind.RunInterrupted"/> carry the
    /// <see cref="FlowEvent.Result"/>, <see cref="FlowEventKind.RunFailed"/> the error (the run's exception is not
    /// thrown again). A run that cannot start (its id is in use) throws from the enumeration.
    /// </summary>
    public IAsyncEnumerable<FlowEvent> StreamAsync(Flow flow, object? initialState = null, FlowRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(flow);
        var runId = options?.RunId ?? NewRunId();
        var withId = options is null ? new FlowRunOptions { RunId = runId } : options.WithRunId(runId);
        return RunEventReader.Stream(_events, runId, token => RunAsync(flow, initialState, withId, token), cancellationToken);
    }

    /// <summary>Resumes a run like <see cref="ResumeAsync"/> and streams its events, as <see cref="StreamAsync"/> does.</summary>
    public IAsyncEnumerable<FlowEvent> StreamResumeAsync(Flow flow, string runId, FlowRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(runId);
        return RunEventReader.Stream(_events, runId, token => ResumeAsync(flow, runId, options, token), cancellationToken);
    }

    private async Task<FlowRunResult> ExecuteAsync(
        Flow flow,
        string runId,
        bool recordProgress,
        RunRecord record,
        bool resumed,
        IReadOnlyDictionary<string, JsonElement> parameters,
        RunRetention retention,
        FlowBreakpoints? breakpoints,
        FlowRunDurability durability,
        CancellationToken cancellationToken,
        JsonElement? resumeInput = null,
        string? resumeAt = null)
    {
        var events = _events.Attach(runId);
        try
        {
            using var execution = new RunExecution(_store, runId, recordProgress, _options.MaxPostConflictRetries, record, _logger, _options.History)
            {
                Events = events,
                EventValueLimit = _options.EventValueLimit,
                Breakpoints = breakpoints,
                Reducers = flow.Reducers,
                StepsWrittenBehind = durability == FlowRunDurability.Async,
                Deferred = durability == FlowRunDurability.Exit ? _store.NewDeferredWrites() : null,
            };
            if (resumed)
            {
                if (record.Interrupt is { } interrupt && (resumeInput is not null || resumeAt is not null))
                {
                    // Stored with the record, so that a crash while the interrupted step runs again loses neither the input nor the route.
                    var answered = interrupt with
                    {
                        Input = resumeInput ?? interrupt.Input,
                        Route = resumeAt ?? interrupt.Route,
                        Answers = resumeInput is { } answer ? [.. interrupt.Answers ?? [], answer] : interrupt.Answers,
                    };
                    await execution.SetStatusAsync(FlowRunStatus.Running, null, cancellationToken, answered).ConfigureAwait(false);
                }
                else if (record.Status != FlowRunStatus.Running)
                {
                    await execution.SetStatusAsync(FlowRunStatus.Running, null, cancellationToken).ConfigureAwait(false);
                }
            }

            if (execution.IsWatched)
            {
                await execution.PublishAsync(execution.NewEvent(resumed ? FlowEventKind.RunResumed : FlowEventKind.RunStarted) with { Steps = record.Steps }, cancellationToken).ConfigureAwait(false);
            }

            return await ExecuteAsync(flow, execution, parameters, retention, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _events.Detach(events);
        }
    }

    private async Task<FlowRunResult> ExecuteAsync(
        Flow flow,
        RunExecution execution,
        IReadOnlyDictionary<string, JsonElement> parameters,
        RunRetention retention,
        CancellationToken cancellationToken)
    {
        var runId = execution.RunId;
        // Tags given at creation are what samplers and ActivityStarted listeners see (set afterwards, they are not).
        using var activity = FlowDiagnostics.Source.HasListeners()
            ? FlowDiagnostics.Source.StartActivity("flow.run", ActivityKind.Internal, default(ActivityContext), [new("flowstate.run_id", runId), new("flowstate.flow", flow.Name)])
            : null;
        FlowLog.RunStarted(_logger, runId, flow.Name);
        activity?.AddEvent(new ActivityEvent("run.started"));
        string action;
        try
        {
            action = await execution.RunFrameAsync(flow, RunExecution.RootFrameId, parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (FlowInterruptedException interrupted)
        {
            // The answers the step's earlier questions got stay with its next question.
            var interrupt = new InterruptRecord(interrupted.Frame, interrupted.StepIndex, interrupted.NodeName!, interrupted.Reason, null)
            {
                Answers = execution.Interrupt is { } previous && previous.Frame == interrupted.Frame && previous.StepIndex == interrupted.StepIndex ? previous.Answers : null,
            };
            await execution.FlushDeferredAsync(cancellationToken).ConfigureAwait(false);
            await execution.SetStatusAsync(FlowRunStatus.Interrupted, null, cancellationToken, interrupt).ConfigureAwait(false);
            FlowLog.RunInterrupted(_logger, runId, flow.Name, interrupted.NodeName!);
            activity?.AddEvent(new ActivityEvent("run.interrupted"));
            var stopped = await FlowStateStorage.ReadStateAsync(_store.For(StateScope.Workflow(runId)), cancellationToken).ConfigureAwait(false);
            var interruptedResult = new FlowRunResult(runId, null, execution.StepsRun, stopped) { Status = FlowRunStatus.Interrupted, InterruptReason = interrupted.Reason };
            if (execution.IsWatched)
            {
                await execution.PublishAsync(
                    execution.NewEvent(FlowEventKind.RunInterrupted) with { Node = interrupted.NodeName, Question = interrupted.Reason, Steps = execution.StepsRun, Result = interruptedResult },
                    cancellationToken).ConfigureAwait(false);
            }

            return interruptedResult;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (execution.StepsWrittenBehind)
            {
                // The run's end waits for its steps still behind: a write at the store's durability comes after them.
                await execution.SetStatusAsync(FlowRunStatus.Running, null, CancellationToken.None).ConfigureAwait(false);
            }

            await execution.FlushDeferredAsync(CancellationToken.None).ConfigureAwait(false);

            FlowLog.RunCancelled(_logger, runId, flow.Name, execution.StepsRun);
            activity?.AddEvent(new ActivityEvent("run.cancelled"));
            if (execution.IsWatched)
            {
                await execution.PublishAsync(execution.NewEvent(FlowEventKind.RunCancelled) with { Steps = execution.StepsRun }, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.AddEvent(new ActivityEvent("run.failed", tags: new ActivityTagsCollection { ["exception.message"] = ex.Message }));
            FlowLog.RunFailed(_logger, ex, runId, flow.Name);
            try
            {
                await execution.FlushDeferredAsync(CancellationToken.None).ConfigureAwait(false);
                await execution.SetStatusAsync(FlowRunStatus.Failed, ex.Message, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception recordError) when (recordError is StateException or ObjectDisposedException)
            {
                FlowLog.FailureNotRecorded(_logger, recordError, runId);
            }

            if (execution.IsWatched)
            {
                await execution.PublishAsync(execution.NewEvent(FlowEventKind.RunFailed) with { Error = ex.Message, Steps = execution.StepsRun }, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }

        var state = await FlowStateStorage.ReadStateAsync(_store.For(StateScope.Workflow(runId)), cancellationToken).ConfigureAwait(false);
        // Before the run's end is recorded: a crash must never leave a completed record without the steps behind it.
        await execution.FlushDeferredAsync(cancellationToken).ConfigureAwait(false);
        if (retention.Keep)
        {
            await execution.SetStatusAsync(FlowRunStatus.Completed, null, cancellationToken).ConfigureAwait(false);
            if (retention.For is { } keptFor)
            {
                await ExpireRunAsync(runId, keptFor, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            await _store.For(StateScope.Workflow(runId)).ClearAsync(cancellationToken).ConfigureAwait(false);
        }

        FlowLog.RunCompleted(_logger, runId, flow.Name, execution.StepsRun, action);
        activity?.SetTag("flowstate.steps", execution.StepsRun);
        activity?.AddEvent(new ActivityEvent("run.completed"));
        var result = new FlowRunResult(runId, action, execution.StepsRun, state);
        if (execution.IsWatched)
        {
            await execution.PublishAsync(execution.NewEvent(FlowEventKind.RunCompleted) with { Action = action, Steps = execution.StepsRun, Result = result }, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Marks <paramref name="runId"/> as running in this process until the result is disposed.</summary>
    /// <exception cref="FlowException">The run is already running in this process.</exception>
    private RunClaim Claim(string runId) =>
        _active.TryAdd(runId, true) ? new RunClaim(_active, runId) : throw new FlowException($"Run '{runId}' is already running in this process.", runId, null);

    private async ValueTask<RunRecord?> ReadRecordAsync(string runId, CancellationToken cancellationToken)
    {
        var entry = await _store.For(RunExecution.BookkeepingScopeOf(runId)).GetEntryAsync(RunExecution.RunKey, cancellationToken).ConfigureAwait(false);
        return entry?.Deserialize(FlowRecordsJsonContext.Default.RunRecord);
    }

    private readonly struct RunClaim(ConcurrentDictionary<string, bool> active, string runId) : IDisposable
    {
        public void Dispose() => active.TryRemove(runId, out _);
    }
}
