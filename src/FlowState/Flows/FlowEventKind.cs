namespace FlowState.Flows;

/// <summary>What a <see cref="FlowEvent"/> reports.</summary>
public enum FlowEventKind
{
    /// <summary>A new run was recorded and starts its first step.</summary>
    RunStarted,

    /// <summary>A run that had not completed continues after its last committed step.</summary>
    RunResumed,

    /// <summary>A step starts: <see cref="FlowEvent.Node"/> in <see cref="FlowEvent.Frame"/> at <see cref="FlowEvent.StepIndex"/>.</summary>
    StepStarted,

    /// <summary>A step committed: its writes (<see cref="FlowEvent.Changes"/>) and its action are durable as the store promises.</summary>
    StepCommitted,

    /// <summary>A step's exec failed and runs again (<see cref="FlowEvent.Attempt"/> is the attempt that failed).</summary>
    StepRetrying,

    /// <summary>A step failed; nothing of it was committed. The run fails with it (and can be resumed).</summary>
    StepFailed,

    /// <summary>A node asked for input (<see cref="FlowEvent.Question"/>); the run waits to be resumed with an answer. Last event.</summary>
    RunInterrupted,

    /// <summary>The run ended (<see cref="FlowEvent.Action"/> is the last node's action). Last event.</summary>
    RunCompleted,

    /// <summary>The run failed (<see cref="FlowEvent.Error"/>); it can be resumed. Last event.</summary>
    RunFailed,

    /// <summary>The run was cancelled; it can be resumed. Last event.</summary>
    RunCancelled,
}
