using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace FlowState.Flows;

/// <summary>What a node knows about the step it runs in: the run, its own name, its position and the flow's parameters.</summary>
public abstract class NodeContext
{
    private protected NodeContext(StepInvocation step)
    {
        Invocation = step;
    }

    /// <summary>The id of the run (its state lives under <c>workflow:{RunId}:</c>).</summary>
    public string RunId => Invocation.Run.RunId;

    /// <summary>The name of the node.</summary>
    public string NodeName => Invocation.Node.Name;

    /// <summary>How many steps the (sub-)flow running this node completed before this one.</summary>
    public int StepIndex => Invocation.StepIndex;

    /// <summary>
    /// A key that names this step of this run and stays the same when the step runs again (a retry, or after a crash
    /// before the step committed): pass it to external systems so that they perform a side effect once.
    /// </summary>
    public string IdempotencyKey => Invocation.IdempotencyKey;

    /// <summary>The parameters of the (sub-)flow: empty, or the parameter set a <see cref="BatchFlow"/> runs it with.</summary>
    public IReadOnlyDictionary<string, JsonElement> Params => Invocation.Params;

    /// <summary>Cancelled when the run is stopped.</summary>
    public CancellationToken CancellationToken => Invocation.CancellationToken;

    internal StepInvocation Invocation { get; }

    /// <summary>
    /// The input the run was resumed with (<see cref="FlowRunOptions.ResumeInput"/>), given to the step that interrupted
    /// the run when it runs again; null otherwise.
    /// </summary>
    public JsonElement? ResumeInput => Invocation.ResumeInput;

    /// <summary>
    /// Stops the run here for human input: nothing of this step commits, the run becomes
    /// <see cref="FlowRunStatus.Interrupted"/> (what earlier steps committed stays), and
    /// <see cref="FlowRunner.ResumeAsync"/> with <see cref="FlowRunOptions.ResumeInput"/> runs this step again with
    /// <see cref="ResumeInput"/> set. Throws <see cref="FlowInterruptedException"/>; do not catch it.
    /// </summary>
    /// <exception cref="FlowException">The runner does not record progress, so the run could not be resumed.</exception>
    [DoesNotReturn]
    public void Interrupt(string? reason = null)
    {
        if (!Invocation.Run.RecordProgress)
        {
            throw new FlowException(
                $"Node '{NodeName}' of run '{RunId}' asked for an interrupt, but the runner does not record progress, so the run could not be resumed; use a durable store or FlowRunnerOptions.RecordProgress.",
                RunId,
                NodeName);
        }

        throw new FlowInterruptedException(RunId, NodeName, reason) { Frame = Invocation.FrameId, StepIndex = Invocation.StepIndex };
    }

    /// <summary>
    /// Asks a person a question (LangGraph's <c>interrupt(value)</c>): returns the answer when the run was resumed with
    /// one (<see cref="FlowRunOptions.ResumeInput"/>), else interrupts the run with <paramref name="question"/> as the
    /// reason, like <see cref="Interrupt"/>. A step may ask several questions: each resume answers the one the run is
    /// waiting at, and when the step runs again every question asked before returns its own answer, in order, so the
    /// step goes on to the next one. Answers are stored with the run until the step commits.
    /// </summary>
    /// <exception cref="StateTypeException">The answer does not deserialize to <typeparamref name="T"/>.</exception>
    /// <exception cref="FlowException">The runner does not record progress, so the run could not be resumed.</exception>
    public T? Ask<T>(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var index = Invocation.NextQuestion();
        if (index < Invocation.Answers.Count)
        {
            return Deserialize<T>(Invocation.Answers[index], "The answer");
        }

        Interrupt(question);
        return default;
    }

    /// <summary><see cref="ResumeInput"/> deserialized to <typeparamref name="T"/>, or default when there is none.</summary>
    /// <exception cref="StateTypeException">The input does not deserialize to <typeparamref name="T"/>.</exception>
    public T? GetResumeInput<T>() => ResumeInput is { } input ? Deserialize<T>(input, "The resume input") : default;

    /// <summary>A parameter deserialized to <typeparamref name="T"/>, or default when there is no such parameter.</summary>
    /// <exception cref="StateTypeException">The parameter does not deserialize to <typeparamref name="T"/>.</exception>
    public T? GetParam<T>(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Params.TryGetValue(name, out var value) ? Deserialize<T>(value, $"Parameter '{name}'") : default;
    }

    private T? Deserialize<T>(JsonElement value, string what)
    {
        try
        {
            return value.Deserialize<T>(Invocation.Run.Store.SerializerOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw new StateTypeException($"{what} of node '{NodeName}' (run '{RunId}') does not deserialize to {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}
