namespace FlowState;

/// <summary>The <c>Runner:History</c> part of <see cref="StoreSettings"/>.</summary>
internal sealed class RunnerHistorySettings
{
    public int? MaxCheckpoints { get; set; }

    public TimeSpan? MaxAge { get; set; }
}
