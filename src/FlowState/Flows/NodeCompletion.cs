namespace FlowState.Flows;

/// <summary>How a node's step ended, given to <see cref="Node{TPrep, TExec}.OnCompleteAsync"/>.</summary>
/// <param name="RunId">The run.</param>
/// <param name="NodeName">The node.</param>
/// <param name="StepIndex">The step's index in its (sub-)flow.</param>
/// <param name="Action">The action post returned, when the step committed; null when it failed.</param>
/// <param name="Exception">Why the step failed; null when it committed.</param>
/// <param name="Attempts">How many times exec ran (0 when prep failed).</param>
/// <param name="State">
/// The run's state (<c>workflow:{runId}:</c>), written directly: each write commits on its own, after the step's commit
/// (or failure) — for cleaning up what the step left behind, e.g. temporary keys once the last step succeeded.
/// </param>
public sealed record NodeCompletion(string RunId, string NodeName, int StepIndex, string? Action, Exception? Exception, int Attempts, IStateStore State)
{
    /// <summary>True when the step committed.</summary>
    public bool Succeeded => Exception is null;
}
