using System.Runtime.ExceptionServices;

namespace FlowState.Flows;

/// <summary>
/// Runs several branches (flows) of the same run at once and continues when all of them ended; its action is
/// <c>"default"</c>. The branches share the run's state: they join by writing it, and a post that read a key
/// another branch changed meanwhile runs again, so no update is lost. If a branch fails, the others are cancelled
/// and the step fails; on resume, finished branches are not run again.
/// </summary>
public sealed class ParallelNode : FlowNode
{
    private readonly Flow[] _branches;

    /// <summary>Creates a step named <paramref name="name"/> that runs <paramref name="branches"/> concurrently.</summary>
    /// <exception cref="ArgumentException">The name is not valid, or there are no branches.</exception>
    public ParallelNode(string name, params Flow[] branches)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Length == 0 || branches.Any(b => b is null))
        {
            throw new ArgumentException($"Parallel step '{name}' needs at least one branch and no null branch.", nameof(branches));
        }

        _branches = [.. branches];
    }

    /// <summary>The branches.</summary>
    public IReadOnlyList<Flow> Branches => _branches;

    internal override ValueTask<string> RunStepAsync(StepInvocation step) =>
        step.RunChildrenAsync(async (invocation, cancellationToken) =>
        {
            using var branchesCancelled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var frames = Enumerable.Range(0, _branches.Length).Select(invocation.ChildFrameId).ToArray();
            var tasks = new Task[_branches.Length];
            for (var i = 0; i < _branches.Length; i++)
            {
                tasks[i] = RunBranchAsync(invocation, _branches[i], frames[i], branchesCancelled);
            }

            await WhenAllAsync(tasks).ConfigureAwait(false);
            return "default";
        });

    /// <summary>Waits for every task; rethrows the first real failure rather than the cancellations it caused in its siblings.</summary>
    internal static async Task WhenAllAsync(Task[] tasks)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            var failure = tasks
                .Where(t => t.IsFaulted)
                .SelectMany(t => t.Exception!.InnerExceptions)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (failure is not null)
            {
                ExceptionDispatchInfo.Throw(failure);
            }

            throw;
        }
    }

    private static async Task RunBranchAsync(StepInvocation step, Flow branch, string frameId, CancellationTokenSource branchesCancelled)
    {
        // Yield first so that every branch starts even when one completes synchronously.
        await Task.Yield();
        try
        {
            await step.Run.RunFrameAsync(branch, frameId, step.Params, branchesCancelled.Token).ConfigureAwait(false);
        }
        catch
        {
            await branchesCancelled.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }
}
