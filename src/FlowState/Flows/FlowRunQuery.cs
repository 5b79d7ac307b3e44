namespace FlowState.Flows;

/// <summary>Which runs <see cref="FlowRunner.QueryRunsAsync"/> returns: filters, then a page of the newest first.</summary>
public sealed class FlowRunQuery
{
    /// <summary>Only runs of this flow; null: every flow.</summary>
    public string? Flow { get; init; }

    /// <summary>Only runs with this status; null: every status.</summary>
    public FlowRunStatus? Status { get; init; }

    /// <summary>Only runs started at or after this time.</summary>
    public DateTimeOffset? StartedFrom { get; init; }

    /// <summary>Only runs started before this time.</summary>
    public DateTimeOffset? StartedBefore { get; init; }

    /// <summary>How many of the matching runs (newest first) to skip. Default 0.</summary>
    public int Offset { get; init; }

    /// <summary>The most runs to return. Default 50.</summary>
    public int Limit { get; init; } = 50;
}
