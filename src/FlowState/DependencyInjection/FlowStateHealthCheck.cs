using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlowState;

/// <summary>
/// The health of the store <see cref="FlowStateServiceCollectionExtensions.AddFlowState"/> registered: unhealthy when
/// it could not open, when a backend write failed (the store is faulted and refuses writes), or, for a shared store,
/// when the server does not answer a read; degraded while it opens, when the commit queue is nearly full, or when a
/// shared store's change feed broke. Register it with <see cref="FlowStateHealthChecksBuilderExtensions.AddFlowStateHealthChecks"/>.
/// </summary>
internal sealed class FlowStateHealthCheck(
    FlowStateStoreHolder<StateStore>? store,
    FlowStateStoreHolder<SharedStateStore>? shared,
    FlowStateHealthCheckOptions options,
    int maxPendingCommits) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (store is not null)
        {
            return Check(store);
        }

        if (shared is not null)
        {
            return await CheckAsync(shared, cancellationToken).ConfigureAwait(false);
        }

        return HealthCheckResult.Unhealthy("no FlowState store is registered: call services.AddFlowState(...)");
    }

    private HealthCheckResult Check(FlowStateStoreHolder<StateStore> holder)
    {
        if (holder.OpenFailure is { } failure)
        {
            return HealthCheckResult.Unhealthy($"the store could not be opened: {failure.Message}", failure);
        }

        if (holder.OpenedStore is not { } opened)
        {
            return HealthCheckResult.Degraded("the store is not open yet (a host opens it when it starts)");
        }

        var statistics = opened.GetStatistics();
        var data = new Dictionary<string, object>
        {
            ["entries"] = statistics.Entries,
            ["bytes"] = statistics.Bytes,
            ["version"] = opened.CurrentVersion,
            ["pendingCommits"] = opened.PendingCommits,
        };
        if (opened.FaultCause is { } fault)
        {
            return HealthCheckResult.Unhealthy($"a backend write failed, so the store refuses writes until it is opened again: {fault.Message}", fault, data);
        }

        var capacity = maxPendingCommits;
        return opened.PendingCommits >= capacity * options.PendingCommitsDegradedFraction
            ? HealthCheckResult.Degraded($"{opened.PendingCommits} of at most {capacity} commits wait for the backend", data: data)
            : HealthCheckResult.Healthy($"{opened}: open", data);
    }

    private async Task<HealthCheckResult> CheckAsync(FlowStateStoreHolder<SharedStateStore> holder, CancellationToken cancellationToken)
    {
        if (holder.OpenFailure is { } failure)
        {
            return HealthCheckResult.Unhealthy($"the shared store could not be opened: {failure.Message}", failure);
        }

        if (holder.OpenedStore is not { } opened)
        {
            return HealthCheckResult.Degraded("the shared store is not connected yet (a host connects it when it starts)");
        }

        // A read of one key in a scope of its own: a round trip to the server, which holds the only copy.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ProbeTimeout);
        try
        {
            await opened.For(StateScope.Custom("flowstate-health")).ExistsAsync("probe", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StateBackendException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return HealthCheckResult.Unhealthy($"the server of {opened.Description} does not answer: {ex.Message}", ex);
        }

        return opened.ChangeFeedFault is { } broken
            ? HealthCheckResult.Degraded($"reads and writes work, but the change feed broke ({broken.Message}); watches fail until the store is opened again", broken)
            : HealthCheckResult.Healthy($"{opened.Description}: the server answers");
    }
}
