namespace FlowState;

/// <summary>
/// Splits flow runs between workers sharing a <see cref="SharedStateStore"/>: a worker claims a run with a lease
/// (owner, expiry, fencing token) before working on it, renews it while it works, and writes the run's state through
/// <see cref="Fence"/> (or runs it with a <see cref="Flows.FlowRunner"/> on the fenced store), so that once its lease
/// has lapsed and another worker has claimed the run, its late writes are refused with
/// <see cref="RunLeaseLostException"/> instead of overwriting the new holder's. A worker that crashed simply stops
/// renewing; its lease expires and another worker claims the run and resumes it from its last committed step.
/// </summary>
/// <remarks>
/// Two entries in the run's bookkeeping scope (<c>workflow:{run}:$flow:</c>, in the same Redis hash slot as the run's
/// state): <c>lease</c> (the owner, with the lease duration as its time to live, rewritten by each renewal) and
/// <c>fence</c> (rewritten only when a worker acquires the run: its version is the fencing token, so renewals do not
/// invalidate a fenced store, and a takeover does).
/// </remarks>
public sealed class RunLeases
{
    internal const string LeaseKey = "lease";
    internal const string FenceKey = "fence";

    private readonly SharedStateStore _store;
    private readonly TimeProvider _clock;

    /// <summary>Leases kept in <paramref name="store"/>, timed by <paramref name="timeProvider"/> (default the system clock; use the store's).</summary>
    public RunLeases(SharedStateStore store, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _clock = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Claims <paramref name="runId"/> for <paramref name="owner"/> for <paramref name="duration"/>, or returns null
    /// while another owner's lease is live. Claiming a run one already holds renews it (same fencing token).
    /// </summary>
    /// <exception cref="ArgumentException">The run id or owner is empty, or the duration is not positive.</exception>
    public async ValueTask<RunLease?> TryAcquireAsync(string runId, string owner, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        var bookkeeping = Bookkeeping(runId);
        var current = await bookkeeping.GetEntryAsync(LeaseKey, cancellationToken).ConfigureAwait(false);
        var fence = await bookkeeping.GetEntryAsync(FenceKey, cancellationToken).ConfigureAwait(false);
        if (current is not null)
        {
            if (current.Deserialize<LeaseRecord>()?.Owner != owner || fence is null)
            {
                return null;
            }

            var mine = new RunLease(runId, owner, fence.Version, default) { LeaseVersion = current.Version };
            try
            {
                return await RenewAsync(mine, duration, cancellationToken).ConfigureAwait(false);
            }
            catch (RunLeaseLostException)
            {
                return null;
            }
        }

        try
        {
            var record = new LeaseRecord(owner);
            var version = await bookkeeping.ApplyAsync(
                bookkeeping.CreateBatch()
                    .Set(LeaseKey, record, new StateWriteOptions { TimeToLive = duration, ExpectedVersion = 0 })
                    .Set(FenceKey, record, new StateWriteOptions { ExpectedVersion = fence?.Version ?? 0 }),
                cancellationToken).ConfigureAwait(false);
            return new RunLease(runId, owner, version, _clock.GetUtcNow() + duration) { LeaseVersion = version };
        }
        catch (StateConflictException)
        {
            return null; // another worker claimed it between our read and our write
        }
    }

    /// <summary>Extends <paramref name="lease"/> by <paramref name="duration"/> from now; returns the lease with its new expiry (same fencing token).</summary>
    /// <exception cref="RunLeaseLostException">The lease lapsed or was taken over meanwhile.</exception>
    public async ValueTask<RunLease> RenewAsync(RunLease lease, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        try
        {
            var version = await Bookkeeping(lease.RunId).SetAsync(LeaseKey, new LeaseRecord(lease.Owner), new StateWriteOptions { TimeToLive = duration, ExpectedVersion = lease.LeaseVersion }, cancellationToken).ConfigureAwait(false);
            return lease with { ExpiresAt = _clock.GetUtcNow() + duration, LeaseVersion = version };
        }
        catch (StateConflictException ex)
        {
            throw Lost(lease, ex);
        }
    }

    /// <summary>Gives the run up so another worker can claim it at once; false when the lease had lapsed or been taken over already.</summary>
    public async ValueTask<bool> ReleaseAsync(RunLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            return await Bookkeeping(lease.RunId).DeleteAsync(LeaseKey, StateWriteOptions.IfVersion(lease.LeaseVersion), cancellationToken).ConfigureAwait(false);
        }
        catch (StateConflictException)
        {
            return false;
        }
    }

    /// <summary>The current holder of <paramref name="runId"/>'s lease, or null when none is live.</summary>
    public async ValueTask<string?> GetOwnerAsync(string runId, CancellationToken cancellationToken = default) =>
        (await Bookkeeping(runId).GetAsync<LeaseRecord>(LeaseKey, cancellationToken).ConfigureAwait(false))?.Owner;

    /// <summary>
    /// The run's scope (<c>workflow:{run}:</c>) — and, through <see cref="SharedStateStore.For"/>, any scope — with
    /// every write committed only while <paramref name="lease"/>'s fencing token is still the run's, that is, until
    /// another worker claims the run. Renewals keep the token, so the fenced store stays usable across them.
    /// </summary>
    public SharedStateStore Fence(RunLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return _store.Fenced(StateScope.Workflow(lease.RunId), new SharedFence(RunExecutionScope(lease.RunId), FenceKey, lease.FencingToken, [FenceKey, LeaseKey], conflict => Lost(lease, conflict)));
    }

    internal static RunLeaseLostException Lost(RunLease lease, Exception inner) =>
        new($"Worker '{lease.Owner}' no longer holds the lease of run '{lease.RunId}' (token {lease.FencingToken}): it lapsed or another worker took the run over. Stop working on the run.", inner);

    private static StateScope RunExecutionScope(string runId) => Flows.RunExecution.BookkeepingScopeOf(runId);

    private SharedStateStore Bookkeeping(string runId) => _store.For(RunExecutionScope(runId));

    private sealed record LeaseRecord(string Owner);
}
