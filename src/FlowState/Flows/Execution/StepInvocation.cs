using System.Globalization;
using System.Text.Json;

namespace FlowState.Flows;

/// <summary>One step of a run: a node of a (sub-)flow at a position. Commits the step's writes with its progress.</summary>
internal sealed class StepInvocation(
    RunExecution run,
    Flow flow,
    FlowNode node,
    string frameId,
    int stepIndex,
    IReadOnlyDictionary<string, JsonElement> parameters,
    CancellationToken cancellationToken)
{
    private int _childFrames;

    public RunExecution Run { get; } = run;

    public Flow Flow { get; } = flow;

    public FlowNode Node { get; } = node;

    public string FrameId { get; } = frameId;

    public int StepIndex { get; } = stepIndex;

    public IReadOnlyDictionary<string, JsonElement> Params { get; } = parameters;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>The input of a resumed interrupt, when this step is the one that interrupted.</summary>
    public System.Text.Json.JsonElement? ResumeInput { get; } =
        run.Interrupt is { } interrupt && interrupt.Frame == frameId && interrupt.StepIndex == stepIndex ? interrupt.Input : null;

    /// <summary>The answers the step's questions got on earlier resumes, in the order they were asked.</summary>
    public IReadOnlyList<JsonElement> Answers { get; } =
        run.Interrupt is { } asked && asked.Frame == frameId && asked.StepIndex == stepIndex ? asked.Answers ?? [] : [];

    private int _asked;
    private int _askedBeforeExec = -1;

    /// <summary>The number of the next question this execution of the step asks (0 for the first).</summary>
    public int NextQuestion() => _asked++;

    /// <summary>True once exec's fallback produced the step's result (such a result is not cached).</summary>
    public bool UsedFallback { get; set; }

    /// <summary>The highest exec attempt started in this step.</summary>
    public int ExecAttempts { get; private set; }

    /// <summary>The node after this step, known once the step committed; null when the step ended its flow.</summary>
    public FlowNode? NextNode { get; set; }

    /// <summary>What the step's commit changed, when its run is watched (for the step's event).</summary>
    public FlowKeyChange[]? CommittedChanges { get; set; }

    /// <summary>Tells the run's watchers that exec attempt <paramref name="attempt"/> failed and runs again.</summary>
    public ValueTask RetryingAsync(Exception exception, int attempt) =>
        Run.IsWatched
            ? Run.PublishAsync(Run.StepEvent(FlowEventKind.StepRetrying, this, Run.StampNow(), error: exception.Message, attempt: attempt), CancellationToken)
            : ValueTask.CompletedTask;

    public void RecordAttempt(int attempt)
    {
        ExecAttempts = Math.Max(ExecAttempts, attempt);

        // A retried exec asks its questions again from where the first attempt began, so they get the same answers.
        if (attempt == 1 || _askedBeforeExec < 0)
        {
            _askedBeforeExec = _asked;
        }
        else
        {
            _asked = _askedBeforeExec;
        }
    }

    public string IdempotencyKey => string.Create(CultureInfo.InvariantCulture, $"{Run.RunId}{FrameId}#{StepIndex}:{Node.Name}");

    /// <summary>
    /// The frame id of child <paramref name="index"/> of this step (a nested flow, a branch, a batch item). It depends
    /// only on the step's position, so a resumed step finds its children's progress again.
    /// </summary>
    public string ChildFrameId(int index)
    {
        InterlockedMax(ref _childFrames, index + 1);
        return string.Create(CultureInfo.InvariantCulture, $"{FrameId}/{StepIndex}.{index}");
    }

    /// <summary>Staged state for one try of the step's post.</summary>
    public PostContext BeginPost() => new(this, new StagedWrites(Run.Store) { HidesRuntimeScopes = true, ReducerOf = Run.ReducerOf });

    /// <summary>
    /// Commits the post's writes with the step's progress. False when a concurrent writer changed a key the post had
    /// read and the post should run again (after a random, growing wait); a conflict past the retries is thrown.
    /// </summary>
    public async ValueTask<bool> TryCommitPostAsync(PostContext post, string action, int tries)
    {
        try
        {
            await Run.CommitStepAsync(this, post.Writes, action, _childFrames).ConfigureAwait(false);
            return true;
        }
        catch (StateConflictException) when (tries < Run.MaxPostConflictRetries && post.Writes.HasReadChecks)
        {
            FlowLog.PostConflict(Run.Logger, Node.Name, Run.RunId);

            // Random, growing waits keep posts that keep colliding on one key from colliding in lockstep.
            var ceiling = Math.Min(1 << Math.Min(tries, 6), 50);
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling), CancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>Runs <paramref name="post"/> on staged state and commits it with the step's progress, again on a conflict.</summary>
    public async ValueTask<string> PostAndCommitAsync(Func<IStateStore, PostContext, ValueTask<string?>> post)
    {
        for (var tries = 0; ; tries++)
        {
            var context = BeginPost();
            var action = await post(context.RunState, context).ConfigureAwait(false) ?? "default";
            if (await TryCommitPostAsync(context, action, tries).ConfigureAwait(false))
            {
                return action;
            }
        }
    }

    /// <summary>Runs the children of a composite step, then commits the step with the action they produced.</summary>
    public async ValueTask<string> RunChildrenAsync(Func<StepInvocation, CancellationToken, ValueTask<string>> children)
    {
        var action = await children(this, CancellationToken).ConfigureAwait(false);
        await Run.CommitStepAsync(this, null, action, _childFrames).ConfigureAwait(false);
        return action;
    }

    public async ValueTask NotifyCompletedAsync(Func<NodeCompletion, ValueTask> hook, NodeCompletion completion)
    {
        try
        {
            await hook(completion).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            FlowLog.OnCompleteFailed(Run.Logger, ex, Node.Name, Run.RunId);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
