namespace FlowState.Flows;

/// <summary>A page of runs (<see cref="FlowRunner.QueryRunsAsync"/>).</summary>
/// <param name="Total">How many runs match the query.</param>
/// <param name="Runs">The page: matching runs newest first (by start time, then run id), from the query's offset.</param>
/// <param name="StatusCounts">How many runs match the query's other filters, per status (what a status filter would leave).</param>
public sealed record FlowRunPage(int Total, IReadOnlyList<FlowRunInfo> Runs, IReadOnlyDictionary<FlowRunStatus, int> StatusCounts);
