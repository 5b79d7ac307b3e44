namespace FlowState.Flows;

/// <summary>
/// Something that happened in a run, as <see cref="FlowRunner.WatchAsync"/> and <see cref="FlowRunner.StreamAsync"/>
/// report it. Events of a run come in the order they happened (<see cref="Sequence"/> grows by one), steps of
/// parallel branches interleaved; each watcher gets every event, and a run whose watcher is slow waits for it.
/// </summary>
public sealed record FlowEvent
{
    /// <summary>What happened.</summary>
    public required FlowEventKind Kind { get; init; }

    /// <summary>The run.</summary>
    public required string RunId { get; init; }

    /// <summary>The flow the run runs.</summary>
    public required string Flow { get; init; }

    /// <summary>The event's number in this process's stream of the run's events: 1, 2, 3, … without gaps.</summary>
    public long Sequence { get; internal set; }

    /// <summary>
    /// When it happened (the store's <see cref="TimeProvider"/>); a committed or failed step's event is stamped as its
    /// step's start plus <see cref="Duration"/>.
    /// </summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The node of a step event, or the node that interrupted the run.</summary>
    public string? Node { get; init; }

    /// <summary>The frame of a step event: empty for the top flow, <c>/2.0</c> and the like for nested flows, branches and batch items.</summary>
    public string? Frame { get; init; }

    /// <summary>The step's index within its frame.</summary>
    public int? StepIndex { get; init; }

    /// <summary>The action a committed step returned, or the last action of a completed run.</summary>
    public string? Action { get; init; }

    /// <summary>The keys a committed step wrote.</summary>
    public IReadOnlyList<FlowKeyChange>? Changes { get; init; }

    /// <summary>The exec attempt that failed (<see cref="FlowEventKind.StepRetrying"/>): 1 for the first.</summary>
    public int? Attempt { get; init; }

    /// <summary>Why a step or the run failed, or why an exec attempt is retried.</summary>
    public string? Error { get; init; }

    /// <summary>What an interrupted run asks (the node's reason).</summary>
    public string? Question { get; init; }

    /// <summary>How long a committed or failed step took, by the store's <see cref="TimeProvider"/> (its timestamps).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Steps run by this execution so far (on the run's last event: all of them).</summary>
    public long? Steps { get; init; }

    /// <summary>The result of a completed or interrupted run (its last event).</summary>
    public FlowRunResult? Result { get; init; }

    /// <summary>Whether this is a run's last event (completed, interrupted, failed or cancelled).</summary>
    public bool IsFinal => Kind is FlowEventKind.RunCompleted or FlowEventKind.RunInterrupted or FlowEventKind.RunFailed or FlowEventKind.RunCancelled;
}
