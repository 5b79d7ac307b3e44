namespace FlowState;

/// <summary>The <c>Runner</c> part of <see cref="StoreSettings"/>.</summary>
internal sealed class RunnerSettings
{
    public bool? RecordProgress { get; set; }

    public bool? RetainCompletedRuns { get; set; }

    public int? MaxPostConflictRetries { get; set; }

    public RunnerHistorySettings? History { get; set; }
}
