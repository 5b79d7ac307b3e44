using System.Runtime.CompilerServices;

namespace FlowState.Flows;

/// <summary>
/// The runs of one <see cref="StateStore"/> in start order (newest first) with the fields queries filter on, so that a
/// query reads no run record but the page's. Built from the scope tree at the first query; kept current by the store,
/// which tells it under its write lock which run records changed (written, deleted, expired, undone); a query reads
/// those again before it answers, so it sees every change committed before it started, whoever made it.
/// </summary>
#pragma warning disable CA1001 // Lives as long as its store; the semaphore's wait handle is never asked for, so it holds only managed memory.
internal sealed class FlowRunIndex : IStateChangeObserver
#pragma warning restore CA1001
{
    private static readonly ConditionalWeakTable<StateStore, FlowRunIndex> Indexes = new();
    private static readonly Comparer<IndexedRun> NewestFirst = Comparer<IndexedRun>.Create(static (a, b) =>
        b.StartedAt.CompareTo(a.StartedAt) is var byTime and not 0 ? byTime : string.CompareOrdinal(a.RunId, b.RunId));

    private readonly StateStore _store;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _changedLock = new();
    private readonly Dictionary<string, IndexedRun> _byId = new(StringComparer.Ordinal);
    private readonly SortedSet<IndexedRun> _newestFirst = new(NewestFirst);
    private readonly Dictionary<FlowRunStatus, int> _statusCounts = [];
    private HashSet<string> _changed = new(StringComparer.Ordinal);
    private bool _built;

    private FlowRunIndex(StateStore store) => _store = store;

    /// <summary>The index of <paramref name="store"/>'s runs (one per store, whichever runner asks).</summary>
    public static FlowRunIndex For(StateStore store) => Indexes.GetValue(store, static s => new FlowRunIndex(s));

    public void OnChanged(StateScope scope, string key)
    {
        if (key == RunExecution.RunKey && scope.Kind == ScopeSegmentKind.Runtime && scope.Name == RunExecution.BookkeepingName
            && scope.Parent is { Kind: ScopeSegmentKind.Workflow, Parent.IsGlobal: true } run)
        {
            lock (_changedLock)
            {
                _changed.Add(run.Name);
            }
        }
    }

    /// <summary>How many runs match <paramref name="query"/> (in all and per status) and the ids of its page, newest first.</summary>
    public async Task<(int Total, List<string> Page, Dictionary<FlowRunStatus, int> StatusCounts)> QueryAsync(FlowRunQuery query, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_built)
            {
                Build();
            }

            await ReadChangedAsync(cancellationToken).ConfigureAwait(false);
            var page = new List<string>(Math.Min(query.Limit, 1_000));
            var end = (long)query.Offset + query.Limit;
            if (query.Flow is null && query.StartedFrom is null && query.StartedBefore is null)
            {
                // Counts kept as runs change: only the runs up to the page's end are walked.
                var matching = 0;
                foreach (var run in _newestFirst)
                {
                    if (matching >= end)
                    {
                        break;
                    }

                    if (query.Status is not { } wanted || run.Status == wanted)
                    {
                        if (matching >= query.Offset)
                        {
                            page.Add(run.RunId);
                        }

                        matching++;
                    }
                }

                var counts = new Dictionary<FlowRunStatus, int>(_statusCounts.Where(c => c.Value > 0));
                return (query.Status is { } status ? counts.GetValueOrDefault(status) : _byId.Count, page, counts);
            }

            var statusCounts = new Dictionary<FlowRunStatus, int>();
            var total = 0;
            foreach (var run in _newestFirst)
            {
                if ((query.Flow is not null && run.Flow != query.Flow)
                    || (query.StartedFrom is { } from && run.StartedAt < from)
                    || (query.StartedBefore is { } before && run.StartedAt >= before))
                {
                    continue;
                }

                statusCounts[run.Status] = statusCounts.GetValueOrDefault(run.Status) + 1;
                if (query.Status is { } status && run.Status != status)
                {
                    continue;
                }

                if (total >= query.Offset && total < end)
                {
                    page.Add(run.RunId);
                }

                total++;
            }

            return (total, page, statusCounts);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Build()
    {
        // Told of changes first, so that a run written while the tree is walked is read again before the answer.
        if (!_store.TryAddChangeObserver(this))
        {
            throw new InvalidOperationException($"The state store '{_store.Name}' has another run index installed.");
        }

        foreach (var (runId, entry) in _store.ReadInChildScopes(StateScope.Global, ScopeSegmentKind.Workflow, ScopeSegmentKind.Runtime, RunExecution.BookkeepingName, RunExecution.RunKey))
        {
            // No record: a workflow scope that is not a run. A record paged out is read the usual way.
            if (entry is null)
            {
                continue;
            }

            if (entry.IsResident)
            {
                Put(runId, entry);
            }
            else
            {
                lock (_changedLock)
                {
                    _changed.Add(runId);
                }
            }
        }

        _built = true;
    }

    private async Task ReadChangedAsync(CancellationToken cancellationToken)
    {
        HashSet<string> changed;
        lock (_changedLock)
        {
            if (_changed.Count == 0)
            {
                return;
            }

            changed = _changed;
            _changed = new(StringComparer.Ordinal);
        }

        try
        {
            foreach (var runId in changed)
            {
                var entry = await _store.For(RunExecution.BookkeepingScopeOf(runId)).GetEntryAsync(RunExecution.RunKey, cancellationToken).ConfigureAwait(false);
                if (entry is null)
                {
                    Remove(runId);
                }
                else
                {
                    Put(runId, entry);
                }
            }
        }
        catch
        {
            // Not read (cancelled, or the backend failed): read them again next time.
            lock (_changedLock)
            {
                _changed.UnionWith(changed);
            }

            throw;
        }
    }

    private void Put(string runId, StateEntry record)
    {
        var summary = RunRecordSummary.Of(record);
        Remove(runId);
        var run = new IndexedRun(runId, summary.Flow, summary.Status, summary.StartedAt);
        _byId[runId] = run;
        _newestFirst.Add(run);
        _statusCounts[run.Status] = _statusCounts.GetValueOrDefault(run.Status) + 1;
    }

    private void Remove(string runId)
    {
        if (_byId.Remove(runId, out var old))
        {
            _newestFirst.Remove(old);
            _statusCounts[old.Status]--;
        }
    }

    private sealed record IndexedRun(string RunId, string Flow, FlowRunStatus Status, DateTimeOffset StartedAt);
}
