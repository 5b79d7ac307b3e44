namespace FlowState.Flows;

/// <summary>
/// A node whose exec runs once per item: prep returns the items, <see cref="ExecItemAsync"/> handles one (retried
/// and with its own fallback, per item), and post receives every result in item order. With
/// <see cref="MaxDegreeOfParallelism"/> above 1, items run concurrently.
/// </summary>
/// <typeparam name="TItem">One unit of work.</typeparam>
/// <typeparam name="TResult">What one item produces.</typeparam>
public abstract class BatchNode<TItem, TResult> : Node<IReadOnlyList<TItem>, IReadOnlyList<TResult>>
{
    private readonly int _maxDegreeOfParallelism = 1;

    /// <summary>Creates a batch node named <paramref name="name"/>.</summary>
    protected BatchNode(string name)
        : base(name)
    {
    }

    /// <summary>How many items run at once (default 1: one after another).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxDegreeOfParallelism = value;
        }
    }

    /// <summary>Handles one item; sees no state.</summary>
    protected abstract ValueTask<TResult> ExecItemAsync(TItem item, ExecContext context, CancellationToken cancellationToken);

    /// <summary>Runs when an item failed on its last attempt; its result stands for the item. Default: the step fails.</summary>
    protected virtual ValueTask<TResult> ExecItemFallbackAsync(TItem item, Exception exception, ExecContext context, CancellationToken cancellationToken)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
        return default;
    }

    /// <summary>Runs every item (use <see cref="ExecItemAsync"/> to handle one).</summary>
    protected internal sealed override async ValueTask<IReadOnlyList<TResult>> ExecAsync(IReadOnlyList<TItem> prep, ExecContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prep);
        var results = new TResult[prep.Count];
        var retry = Retry;
        var step = context.Invocation;
        if (MaxDegreeOfParallelism == 1)
        {
            for (var i = 0; i < prep.Count; i++)
            {
                results[i] = await RunItemAsync(retry, step, prep[i]).ConfigureAwait(false);
            }
        }
        else
        {
            await Parallel.ForAsync(
                0,
                prep.Count,
                new ParallelOptions { MaxDegreeOfParallelism = MaxDegreeOfParallelism, CancellationToken = cancellationToken },
                async (i, _) => results[i] = await RunItemAsync(retry, step, prep[i]).ConfigureAwait(false)).ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>Not used: items fail one by one (see <see cref="ExecItemFallbackAsync"/>).</summary>
    protected internal sealed override ValueTask<IReadOnlyList<TResult>> ExecFallbackAsync(
        IReadOnlyList<TItem> prep, Exception exception, ExecContext context, CancellationToken cancellationToken) =>
        base.ExecFallbackAsync(prep, exception, context, cancellationToken);

    // Retries apply per item, inside ExecAsync, so the node-level exec runs once.
    internal override ValueTask<IReadOnlyList<TResult>> ExecuteAsync(IReadOnlyList<TItem> prep, StepInvocation step) =>
        ExecAsync(prep, new ExecContext(step, 1), step.CancellationToken);

    private async ValueTask<TResult> RunItemAsync(RetryPolicy retry, StepInvocation step, TItem item)
    {
        return await retry.ExecuteAsync<TResult, ItemAttempt>(new ItemAttempt(this, item, step), step.Run.Time, step.CancellationToken).ConfigureAwait(false);
    }

    private readonly struct ItemAttempt(BatchNode<TItem, TResult> node, TItem item, StepInvocation step) : IExecAttempt<TResult>
    {
        public ValueTask<TResult> RunAsync(int attempt) => node.ExecItemAsync(item, new ExecContext(step, attempt), step.CancellationToken);

        public ValueTask<TResult> FallbackAsync(Exception exception, int attempt) =>
            node.ExecItemFallbackAsync(item, exception, new ExecContext(step, attempt), step.CancellationToken);

        public ValueTask RetryingAsync(Exception exception, int attempt) => step.RetryingAsync(exception, attempt);
    }
}
