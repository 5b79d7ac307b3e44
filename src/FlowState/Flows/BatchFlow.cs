using System.Text.Json;

namespace FlowState.Flows;

/// <summary>
/// Runs a flow once per parameter set, as one step of the enclosing flow: <c>prep</c> reads state and returns the
/// parameter sets (objects whose properties become <see cref="NodeContext.Params"/>, on top of the enclosing
/// flow's), each set runs the flow in the same run, and <c>post</c> (optional) writes a summary and returns the
/// action. With <see cref="MaxDegreeOfParallelism"/> above 1 the sets run concurrently (an async parallel batch).
/// </summary>
/// <remarks>
/// On resume, prep runs again and must return the same sets (it reads the same committed state); sets that had
/// finished are not run again.
/// </remarks>
public sealed class BatchFlow : FlowNode
{
    private readonly Func<IStateReader, PrepContext, ValueTask<IEnumerable<object>>> _prep;
    private readonly Func<IStateStore, PostContext, ValueTask<string?>>? _post;

    /// <summary>Creates a batch step named <paramref name="name"/> that runs <paramref name="flow"/> per parameter set.</summary>
    /// <param name="name">The step's name.</param>
    /// <param name="flow">The flow run for each parameter set.</param>
    /// <param name="prep">Returns the parameter sets.</param>
    /// <param name="post">Runs after every set finished; returns the action (null: <c>"default"</c>).</param>
    /// <param name="maxDegreeOfParallelism">How many sets run at once (default 1: one after another).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDegreeOfParallelism"/> is not positive.</exception>
    public BatchFlow(
        string name,
        Flow flow,
        Func<IStateReader, PrepContext, ValueTask<IEnumerable<object>>> prep,
        Func<IStateStore, PostContext, ValueTask<string?>>? post = null,
        int maxDegreeOfParallelism = 1)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(prep);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDegreeOfParallelism);
        Flow = flow;
        _prep = prep;
        _post = post;
        MaxDegreeOfParallelism = maxDegreeOfParallelism;
    }

    /// <summary>The flow run per parameter set.</summary>
    public Flow Flow { get; }

    /// <summary>How many parameter sets run at once.</summary>
    public int MaxDegreeOfParallelism { get; }

    internal override async ValueTask<string> RunStepAsync(StepInvocation step)
    {
        var sets = await _prep(step.Run.RunReader, new PrepContext(step)).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The prep of batch flow '{Name}' returned null; return an empty list for no work.");
        var parameters = sets.Select((set, i) => FlowParameters.From(set, step.Run.Store.SerializerOptions, $"Parameter set {i} of batch flow '{Name}'", step.Params)).ToList();
        var frames = Enumerable.Range(0, parameters.Count).Select(step.ChildFrameId).ToArray();
        if (MaxDegreeOfParallelism == 1)
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                await step.Run.RunFrameAsync(Flow, frames[i], parameters[i], step.CancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            using var setsCancelled = CancellationTokenSource.CreateLinkedTokenSource(step.CancellationToken);
            var next = -1;
            var workers = new Task[Math.Min(MaxDegreeOfParallelism, parameters.Count)];
            for (var w = 0; w < workers.Length; w++)
            {
                workers[w] = Task.Run(
                    async () =>
                    {
                        try
                        {
                            for (var i = Interlocked.Increment(ref next); i < parameters.Count; i = Interlocked.Increment(ref next))
                            {
                                await step.Run.RunFrameAsync(Flow, frames[i], parameters[i], setsCancelled.Token).ConfigureAwait(false);
                            }
                        }
                        catch
                        {
                            await setsCancelled.CancelAsync().ConfigureAwait(false);
                            throw;
                        }
                    },
                    CancellationToken.None);
            }

            await ParallelNode.WhenAllAsync(workers).ConfigureAwait(false);
        }

        return _post is null
            ? await step.RunChildrenAsync(static (_, _) => ValueTask.FromResult("default")).ConfigureAwait(false)
            : await step.PostAndCommitAsync(_post).ConfigureAwait(false);
    }
}
