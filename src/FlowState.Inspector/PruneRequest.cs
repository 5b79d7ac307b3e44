using FlowState.Flows;

namespace FlowState.Inspector;

/// <summary>The body of a prune: <see cref="FlowRunPruneOptions"/> as JSON, every field optional.</summary>
internal sealed record PruneRequest(TimeSpan? OlderThan, List<FlowRunStatus>? Statuses, int? KeepLast, string? Flow, bool DryRun)
{
    public FlowRunPruneOptions ToOptions()
    {
        var defaults = new FlowRunPruneOptions();
        return new FlowRunPruneOptions
        {
            OlderThan = OlderThan,
            Statuses = Statuses is { Count: > 0 } ? Statuses : defaults.Statuses,
            KeepLast = KeepLast,
            Flow = Flow,
            DryRun = DryRun,
        };
    }
}
