namespace FlowState.Flows;

/// <summary>Where a flow run stands.</summary>
public enum FlowRunStatus
{
    /// <summary>Started and not finished (or its process died: resume it).</summary>
    Running,

    /// <summary>Every step ran; the last node ended the flow.</summary>
    Completed,

    /// <summary>A step failed; the run can be resumed at that step.</summary>
    Failed,

    /// <summary>A node asked for input (<see cref="NodeContext.Interrupt"/>); resume the run with the input.</summary>
    Interrupted,
}
