namespace FlowState.Flows;

/// <summary>What the store knows about a run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="FlowName">The flow it runs.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="Steps">How many steps it committed, nested flows' included.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="UpdatedAt">When its record last changed.</param>
/// <param name="Error">Why it failed, when it did.</param>
public sealed record FlowRunInfo(string RunId, string FlowName, FlowRunStatus Status, long Steps, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt, string? Error)
{
    /// <summary>The run this one was forked from (<see cref="FlowRunner.ForkAsync"/>), or null.</summary>
    public string? ForkedFromRun { get; init; }

    /// <summary>The step (checkpoint index) of <see cref="ForkedFromRun"/> this run starts after, or null.</summary>
    public long? ForkedFromStep { get; init; }

    /// <summary>The node of the flow (top level) the run continues with, once it committed a step and until it ends; null otherwise.</summary>
    public string? NextNode { get; init; }

    /// <summary>The node waiting for input while <see cref="Status"/> is <see cref="FlowRunStatus.Interrupted"/>, or null.</summary>
    public string? InterruptedAt { get; init; }

    /// <summary>What the interrupted node asked (its reason), or null.</summary>
    public string? Question { get; init; }
}
