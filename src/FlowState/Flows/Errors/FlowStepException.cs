namespace FlowState.Flows;

/// <summary>A step of a run failed (prep, exec after its retries and fallback, post, or the commit); the inner exception says why. Nothing of the step was committed; the run can be resumed at that step.</summary>
public class FlowStepException : FlowException
{
    /// <summary>Creates an exception with a default message.</summary>
    public FlowStepException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public FlowStepException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public FlowStepException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for the failed step <paramref name="stepIndex"/> of <paramref name="runId"/> in <paramref name="nodeName"/>.</summary>
    public FlowStepException(string runId, string nodeName, int stepIndex, Exception innerException)
        : base($"Step {stepIndex} of run '{runId}' failed in node '{nodeName}': {innerException?.Message}", runId, nodeName, innerException)
    {
        StepIndex = stepIndex;
    }

    /// <summary>The index of the failed step in its (sub-)flow.</summary>
    public int StepIndex { get; }
}
