namespace FlowState.Flows;

/// <summary>Options of one run.</summary>
public sealed class FlowRunOptions
{
    /// <summary>The run id; null: a new one from <see cref="FlowStateStorage.NewRunId"/>.</summary>
    public string? RunId { get; init; }

    /// <summary>The flow's parameters (an object whose properties become <see cref="NodeContext.Params"/>); null: none.</summary>
    public object? Params { get; init; }

    /// <summary>
    /// For <see cref="FlowRunner.ResumeAsync"/> of an interrupted run: the input (any JSON-serializable value) handed to
    /// the step that interrupted it, as <see cref="NodeContext.ResumeInput"/>.
    /// </summary>
    public object? ResumeInput { get; init; }

    /// <summary>
    /// For <see cref="FlowRunner.ResumeAsync"/> of an interrupted run: the node to continue at instead of running the
    /// interrupted step again (LangGraph's <c>Command(goto=…)</c>), in the same flow as that step. Nothing of the
    /// interrupted step commits; the routed node's step gets <see cref="ResumeInput"/>. The route is stored with the
    /// run, so a crash before that step commits resumes at the routed node as well.
    /// </summary>
    public string? ResumeAt { get; init; }

    /// <summary>
    /// Keep this run for this long once it completes (it is then retained whatever <see cref="RetainState"/> says), then
    /// let the store's expiry remove it whole; null: <see cref="FlowRunnerOptions.CompletedRunRetention"/>.
    /// </summary>
    public TimeSpan? RetainFor { get; init; }

    /// <summary>Keep the run's state and record after it completes; null: <see cref="FlowRunnerOptions.RetainCompletedRuns"/>.</summary>
    public bool? RetainState { get; init; }

    /// <summary>
    /// Static breakpoints (LangGraph's <c>interrupt_before</c>): the run is interrupted before a step of any of these
    /// nodes runs — nested flows', branches' and batch items' nodes included — with the reason
    /// <c>breakpoint before 'node'</c>. <see cref="FlowRunner.ResumeAsync"/> runs that step (its breakpoint does not stop
    /// it a second time) and stops at the next breakpoint it is given.
    /// </summary>
    public IReadOnlyCollection<string>? InterruptBefore { get; init; }

    /// <summary>
    /// Static breakpoints (LangGraph's <c>interrupt_after</c>): the run is interrupted after a step of any of these nodes
    /// committed, before the next step of its flow, with the reason <c>breakpoint after 'node'</c> (a step that ends its
    /// flow goes on). Inspect or change the state, then resume.
    /// </summary>
    public IReadOnlyCollection<string>? InterruptAfter { get; init; }

    /// <summary>When this run's steps are made durable; null: <see cref="FlowRunnerOptions.Durability"/>.</summary>
    public FlowRunDurability? Durability { get; init; }

    /// <summary>These options with <see cref="RunId"/> set to <paramref name="runId"/>.</summary>
    internal FlowRunOptions WithRunId(string runId) => new()
    {
        RunId = runId,
        Params = Params,
        ResumeInput = ResumeInput,
        ResumeAt = ResumeAt,
        RetainState = RetainState,
        RetainFor = RetainFor,
        InterruptBefore = InterruptBefore,
        InterruptAfter = InterruptAfter,
        Durability = Durability,
    };
}
