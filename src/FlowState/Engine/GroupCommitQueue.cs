using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace FlowState;

/// <summary>
/// Hands commits to the backend in version order, many at a time: commits are enqueued under the store's write lock
/// (so queue order is version order), one flusher drains everything queued into one backend transaction (one fsync),
/// then completes each commit's task. At most <c>capacity</c> awaited commits are in flight; writers wait for a slot
/// (backpressure) before they take the write lock. After a backend failure the queue is faulted: every queued and
/// later commit fails with <see cref="StateBackendException"/>.
/// </summary>
internal sealed class GroupCommitQueue : IAsyncDisposable
{
    private const int MaxChangesPerGroup = 10_000;

    private readonly IStateBackend _backend;
    private readonly Channel<PendingCommit> _queue = Channel.CreateUnbounded<PendingCommit>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _slots;
    private readonly int _capacity;
    private readonly Task _flusher;
    private Exception? _fault;
    private long _appliedVersion;
    private StateHighWaterMark? _mark;

    private readonly KeyValuePair<string, object?> _storeTag;
    private readonly Action<long, Exception>? _onFailure;
    private readonly FlowStateInstruments _instruments;
    private readonly ILogger _logger;
    private readonly TimeSpan _slowCommit;

    /// <param name="backend">Where commits go.</param>
    /// <param name="capacity">Awaited commits in flight at most.</param>
    /// <param name="storeName">The store's name, in traces, metrics and logs.</param>
    /// <param name="instruments">Where commit metrics go.</param>
    /// <param name="logger">Hears of backend transactions slower than <paramref name="slowCommit"/>.</param>
    /// <param name="slowCommit">A backend transaction that takes longer is logged as a warning.</param>
    /// <param name="onFailure">
    /// Called once, on the flusher, when the backend fails: with the version up to which the backend holds everything,
    /// before any waiting writer hears of the failure.
    /// </param>
    public GroupCommitQueue(IStateBackend backend, int capacity, string storeName, FlowStateInstruments instruments, ILogger logger, TimeSpan slowCommit, Action<long, Exception>? onFailure = null)
    {
        _onFailure = onFailure;
        _instruments = instruments;
        _logger = logger;
        _slowCommit = slowCommit;
        _storeTag = new KeyValuePair<string, object?>("flowstate.store", storeName);
        _backend = backend;
        _capacity = capacity;
        _slots = new SemaphoreSlim(capacity, capacity);
        // Without suppressing the flow, the flusher would keep the opener's ExecutionContext, and with it the span that
        // was current then: every later commit without a writer's span of its own would nest under that old span.
        using (ExecutionContext.IsFlowSuppressed() ? default : ExecutionContext.SuppressFlow())
        {
            _flusher = Task.Run(FlushLoopAsync);
        }
    }

    /// <summary>Commits queued or being written, that is, holding a slot of the queue's capacity.</summary>
    public int Pending => _capacity - _slots.CurrentCount;

    /// <summary>The store version up to which every queued change is in the backend.</summary>
    public long AppliedVersion => Volatile.Read(ref _appliedVersion);

    /// <summary>Records that the backend holds everything up to <paramref name="version"/> (what the store loaded at open).</summary>
    public void MarkApplied(long version) => Volatile.Write(ref _appliedVersion, Math.Max(_appliedVersion, version));

    /// <summary>Advances <paramref name="mark"/> after every group the backend acknowledged, and closes it with the queue.</summary>
    public void KeepMark(StateHighWaterMark mark) => _mark = mark;

    public long Groups { get; private set; }

    public long Commits { get; private set; }

    /// <summary>Time spent inside the backend's ApplyAsync, summed over groups.</summary>
    public TimeSpan BackendTime { get; private set; }

    /// <summary>Waits for room for one more awaited commit (call before taking the write lock).</summary>
    public Task WaitForSlotAsync(CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        return _slots.WaitAsync(cancellationToken);
    }

    public void ReleaseSlot() => _slots.Release();

    /// <summary>
    /// Queues a commit's changes (call under the write lock), all of store version <paramref name="version"/> or
    /// older, to be written once <paramref name="ready"/> (if any) completes. The task completes when they are durable.
    /// </summary>
    public Task Enqueue(List<BackendChange> changes, Durability durability, bool holdsSlot, long version, Task? ready = null)
    {
        ThrowIfFaulted();
        // The writer's span (a flow step, a request) is current here, on its own async flow; the flusher is not on it.
        var cause = FlowStateActivities.Source.HasListeners() && Activity.Current is { } current ? current.Context : default;
        var pending = new PendingCommit(changes, durability, holdsSlot, version, ready, cause);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(GroupCommitQueue), "The store is closed; the write was not made durable.");
        }

        return pending.Completion.Task;
    }

    /// <summary>The backend failure that faulted the queue, or null.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    public void ThrowIfFaulted()
    {
        if (Volatile.Read(ref _fault) is { } fault)
        {
            throw new StateBackendException(
                $"The backend '{_backend.Description}' failed earlier ({fault.Message}); the store refuses writes so that memory never runs ahead of storage unnoticed. Reopen the store to continue from what is durable.",
                fault);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _flusher.ConfigureAwait(false);
        _mark?.Dispose();
        _slots.Dispose();
    }

    private async Task FlushLoopAsync()
    {
        var group = new List<PendingCommit>();
        var changes = new List<BackendChange>();
        PendingCommit? held = null;
        while (held is not null || await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            changes.Clear();
            var durability = Durability.None;
            long version = 0;
            while (changes.Count < MaxChangesPerGroup && (held ?? (_queue.Reader.TryRead(out var next) ? next : null)) is { } pending)
            {
                held = null;
                if (pending.Ready is { IsCompleted: false } ready)
                {
                    if (group.Count > 0)
                    {
                        // What was queued before it is written first; it waits (values still to be read from the
                        // backend) in a group of its own.
                        held = pending;
                        break;
                    }

                    await ready.ConfigureAwait(false);
                }

                group.Add(pending);
                version = Math.Max(version, pending.Version);
                changes.AddRange(pending.Changes);
                durability = (Durability)Math.Max((int)durability, (int)pending.Durability);
            }

            if (HasDelete(changes))
            {
                changes.Add(BackendChange.Upsert(new BackendEntry(
                    StateStore.MetadataScopeKey, StateStore.VersionMarkKey, System.Text.Encoding.UTF8.GetBytes(version.ToString(System.Globalization.CultureInfo.InvariantCulture)), version, 0, 0, false)));
            }

            Exception? failure = Volatile.Read(ref _fault);
            // A group of nothing (a backup's drain marker) has nothing to write: it only keeps its place in the order.
            if (failure is null && changes.Count > 0)
            {
                using var activity = FlowStateActivities.Source.HasListeners() ? StartCommitActivity(group) : null;
                activity?.SetTag("flowstate.store", _storeTag.Value);
                activity?.SetTag("flowstate.backend", _backend.Description);
                activity?.SetTag("flowstate.durability", durability.ToString());
                activity?.SetTag("flowstate.commit.group_size", group.Count);
                activity?.SetTag("flowstate.commit.changes", changes.Count);
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    await _backend.ApplyAsync(changes, durability, CancellationToken.None).ConfigureAwait(false);
                    var elapsed = Stopwatch.GetElapsedTime(started);
                    BackendTime += elapsed;
                    Volatile.Write(ref _appliedVersion, Math.Max(_appliedVersion, version));
                    _mark?.Advance(HighestVersion(changes), durability);
                    Groups++;
                    Commits += group.Count;
                    _instruments.CommitGroupSize.Record(group.Count, _storeTag);
                    _instruments.CommitDuration.Record(elapsed.TotalSeconds, _storeTag);
                    if (elapsed > _slowCommit)
                    {
                        StateStoreLog.SlowCommit(_logger, (string)_storeTag.Value!, _backend.Description, elapsed.TotalMilliseconds, group.Count, changes.Count, durability);
                    }
                }
#pragma warning disable CA1031 // Any backend failure faults the queue and is handed to every waiting writer.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    failure = ex;
                    Volatile.Write(ref _fault, ex);
                    activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                    try
                    {
                        _onFailure?.Invoke(AppliedVersion, ex);
                    }
                    catch (Exception undoFailure)
                    {
                        // The flusher must live on to fail every waiting writer; they hear of both failures.
                        failure = new StateBackendException(
                            $"Writing to the backend '{_backend.Description}' failed ({ex.Message}), and undoing the write in memory failed too ({undoFailure.Message}); reopen the store.",
                            new AggregateException(ex, undoFailure));
                        Volatile.Write(ref _fault, failure);
                    }
                }
            }

            foreach (var pending in group)
            {
                if (failure is null)
                {
                    pending.Completion.TrySetResult();
                }
                else
                {
                    pending.Completion.TrySetException(failure as StateBackendException ?? new StateBackendException(
                        $"Writing to the backend '{_backend.Description}' failed: {failure.Message}", failure));
                }

                if (pending.HoldsSlot)
                {
                    _slots.Release();
                }
            }
        }
    }

    /// <summary>
    /// The span of one backend transaction: a child of the first commit's writer (so a flow step's commit nests under
    /// the step), linked from every other writer whose commit shared the transaction.
    /// </summary>
    private static Activity? StartCommitActivity(List<PendingCommit> group)
    {
        ActivityContext parent = default;
        List<ActivityLink>? links = null;
        foreach (var pending in group)
        {
            if (pending.Cause == default)
            {
                continue;
            }

            if (parent == default)
            {
                parent = pending.Cause;
            }
            else if (pending.Cause != parent)
            {
                (links ??= []).Add(new ActivityLink(pending.Cause));
            }
        }

        return FlowStateActivities.Source.StartActivity("flowstate.commit", ActivityKind.Internal, parent, links: links);
    }

    /// <summary>The highest version the changes store: what the backend holds from now on (deletes carry the version record).</summary>
    private static long HighestVersion(List<BackendChange> changes)
    {
        long highest = 0;
        foreach (var change in changes)
        {
            if (change.Entry is { } entry)
            {
                highest = Math.Max(highest, entry.Version);
            }
        }

        return highest;
    }

    private static bool HasDelete(List<BackendChange> changes)
    {
        foreach (var change in changes)
        {
            if (change.Entry is null && change.ScopeKey != StateStore.MetadataScopeKey)
            {
                return true;
            }
        }

        return false;
    }

    private sealed class PendingCommit(List<BackendChange> changes, Durability durability, bool holdsSlot, long version, Task? ready, ActivityContext cause)
    {
        public ActivityContext Cause { get; } = cause;

        public Task? Ready { get; } = ready;

        public long Version { get; } = version;

        public List<BackendChange> Changes { get; } = changes;

        public Durability Durability { get; } = durability;

        public bool HoldsSlot { get; } = holdsSlot;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
