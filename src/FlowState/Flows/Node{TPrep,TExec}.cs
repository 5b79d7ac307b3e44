using System.Reflection;
using System.Runtime.ExceptionServices;

namespace FlowState.Flows;

/// <summary>
/// A node of a flow, in three phases: <see cref="PrepAsync"/> reads state (it gets a reader, so it cannot write);
/// <see cref="ExecAsync"/> computes without state and is retried on failure; <see cref="PostAsync"/> writes state
/// and chooses the next action.
/// </summary>
/// <remarks>
/// Writes made in post are staged: post reads its own writes, and they commit atomically, together with the run's
/// progress, when post returns; write methods return version 0 because the version is given at that commit. When
/// another writer changed a key post had read before writing it (an update, merge or delete), the commit is refused
/// and post runs again on fresh state, so post must not have side effects outside state. After a crash a step that
/// had not committed runs again, exec included: exec is at-least-once; use <see cref="NodeContext.IdempotencyKey"/>
/// to make its side effects happen once.
/// </remarks>
/// <typeparam name="TPrep">What prep hands to exec and post.</typeparam>
/// <typeparam name="TExec">What exec hands to post.</typeparam>
public abstract class Node<TPrep, TExec> : FlowNode
{
    private int _completionHook; // 0: not looked up yet, 1: none, 2: overridden
    private RetryPolicy _retry = RetryPolicy.None;

    /// <summary>Creates a node named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty, too long or not well-formed.</exception>
#pragma warning disable RS0022 // FlowNode has no protected members: a class derived from Node exposes nothing of it.
    protected Node(string name)
        : base(name)
    {
    }
#pragma warning restore RS0022

    /// <summary>How many times a failed exec is retried before <see cref="ExecFallbackAsync"/> runs (default 0: no retry).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxRetries
    {
        get => _retry.MaxRetries;
        init => _retry = _retry with { MaxRetries = RetryPolicy.CheckRetries(value) };
    }

    /// <summary>The wait before the first retry (default none).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan RetryDelay
    {
        get => _retry.Delay;
        init => _retry = _retry with { Delay = RetryPolicy.CheckDelay(value) };
    }

    /// <summary>
    /// How the waits grow (Polly's back-off): <see cref="Polly.DelayBackoffType.Constant"/> (the default: every wait is
    /// <see cref="RetryDelay"/>), <see cref="Polly.DelayBackoffType.Linear"/> (1×, 2×, 3× …) or
    /// <see cref="Polly.DelayBackoffType.Exponential"/> (1×, 2×, 4× …).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not one of these.</exception>
    public Polly.DelayBackoffType RetryBackoff
    {
        get => _retry.Backoff;
        init => _retry = _retry with { Backoff = RetryPolicy.CheckBackoff(value) };
    }

    /// <summary>The longest wait between retries (default a day, the longest there is).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or longer than a day.</exception>
    public TimeSpan MaxRetryDelay
    {
        get => _retry.MaxDelay;
        init => _retry = _retry with { MaxDelay = RetryPolicy.CheckDelay(value) };
    }

    /// <summary>
    /// Randomizes the waits (Polly's jitter: decorrelated for exponential back-off, ±25% otherwise), so that many runs
    /// failing together do not retry together; off by default.
    /// </summary>
    public bool RetryJitter
    {
        get => _retry.Jitter;
        init => _retry = _retry with { Jitter = value };
    }

    /// <summary>
    /// Which exec failures are worth retrying (say, <c>ex =&gt; ex is HttpRequestException or TimeoutException</c>);
    /// others go to <see cref="ExecFallbackAsync"/> at once. Null (the default): every failure but the run's own
    /// cancellation.
    /// </summary>
    public Func<Exception, bool>? RetryOn
    {
        get => _retry.RetryOn;
        init => _retry = _retry with { RetryOn = value };
    }

    internal RetryPolicy Retry => _retry;

    /// <summary>
    /// Caches exec's result for this long (opt-in; null, the default: no cache), keyed by the node's name and the JSON
    /// of what prep returned: a step whose prep returns what an earlier step of this node returned — in any run on the
    /// store — skips exec and gets the cached result. The result is stored with the step's commit, in the global scope
    /// <c>custom:flow-cache:</c> (key <c>{node}:{SHA-256 of the prep JSON}</c>) with this time to live; a result from
    /// <see cref="ExecFallbackAsync"/> is not cached. Prep's and exec's results must serialize to JSON.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan? CacheFor
    {
        get;
        init => field = value is { } duration && duration <= TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(nameof(value), duration, "CacheFor must be positive (or null for no cache).")
            : value;
    }

    /// <summary>Reads what exec needs. Default: <c>default(TPrep)</c>.</summary>
    /// <param name="state">The run's state (<c>workflow:{runId}:</c>), read-only.</param>
    /// <param name="context">The step; its <see cref="PrepContext.StepState"/> and <see cref="PrepContext.GlobalState"/> are read-only too.</param>
    /// <param name="cancellationToken">Cancelled when the run is stopped.</param>
    protected internal virtual ValueTask<TPrep> PrepAsync(IStateReader state, PrepContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(default(TPrep)!);

    /// <summary>The work of the node; sees no state. Retried per <see cref="MaxRetries"/>.</summary>
    protected internal abstract ValueTask<TExec> ExecAsync(TPrep prep, ExecContext context, CancellationToken cancellationToken);

    /// <summary>Runs when exec failed on its last attempt; its result goes to post. Default: the step fails with <paramref name="exception"/>.</summary>
    protected internal virtual ValueTask<TExec> ExecFallbackAsync(TPrep prep, Exception exception, ExecContext context, CancellationToken cancellationToken)
    {
        ExceptionDispatchInfo.Throw(exception);
        return default;
    }

    /// <summary>Writes the results and returns the next action (null: <c>"default"</c>). Default: writes nothing.</summary>
    /// <param name="state">The run's state (<c>workflow:{runId}:</c>); writes are staged until post returns.</param>
    /// <param name="prep">What prep returned.</param>
    /// <param name="exec">What exec (or its fallback) returned.</param>
    /// <param name="context">The step, with the writable <see cref="PostContext.StepState"/> and <see cref="PostContext.GlobalState"/>.</param>
    /// <param name="cancellationToken">Cancelled when the run is stopped.</param>
    protected internal virtual ValueTask<string?> PostAsync(IStateStore state, TPrep prep, TExec exec, PostContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<string?>(null);

    /// <summary>
    /// Runs after every step of this node, whether it committed or failed (an exception thrown here is logged and
    /// does not change the outcome).
    /// </summary>
    protected internal virtual ValueTask OnCompleteAsync(NodeCompletion completion, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Whether <see cref="OnCompleteAsync"/> does anything; when not, no completion is built for it.</summary>
    private protected virtual bool HasCompletionHook() =>
        GetType().GetMethod(nameof(OnCompleteAsync), BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, [typeof(NodeCompletion), typeof(CancellationToken)])!
            .DeclaringType != typeof(Node<TPrep, TExec>);

    internal virtual ValueTask<TExec> ExecuteAsync(TPrep prep, StepInvocation step) =>
        _retry.ExecuteAsync<TExec, Attempt>(new Attempt(this, prep, step), step.Run.Time, step.CancellationToken);

    internal sealed override async ValueTask<string> RunStepAsync(StepInvocation step)
    {
        string? action = null;
        Exception? failure = null;
        try
        {
            var prep = await PrepAsync(step.Run.RunReader, new PrepContext(step), step.CancellationToken).ConfigureAwait(false);
            var cacheKey = CacheFor is null ? null : NodeResultCache.KeyOf(Name, prep, step);
            var (exec, fromCache) = cacheKey is not null && await NodeResultCache.TryGetAsync<TExec>(cacheKey, step).ConfigureAwait(false) is (true, var cached)
                ? (cached, true)
                : (await ExecuteAsync(prep, step).ConfigureAwait(false), false);
            for (var tries = 0; ; tries++)
            {
                var post = step.BeginPost();
                if (cacheKey is not null && !fromCache && !step.UsedFallback)
                {
                    await NodeResultCache.StageAsync(post, cacheKey, exec, CacheFor!.Value, step).ConfigureAwait(false);
                }

                action = await PostAsync(post.RunState, prep, exec, post, step.CancellationToken).ConfigureAwait(false) ?? "default";
                if (await step.TryCommitPostAsync(post, action, tries).ConfigureAwait(false))
                {
                    return action;
                }
            }
        }
        catch (Exception ex)
        {
            failure = ex;
            action = null;
            throw;
        }
        finally
        {
            if (_completionHook == 2 || (_completionHook == 0 && (_completionHook = HasCompletionHook() ? 2 : 1) == 2))
            {
                await step.NotifyCompletedAsync(
                    completion => OnCompleteAsync(completion, step.CancellationToken),
                    new NodeCompletion(step.Run.RunId, Name, step.StepIndex, action, failure, step.ExecAttempts, step.Run.Store.For(step.Run.RunScope))).ConfigureAwait(false);
            }
        }
    }

    private readonly struct Attempt(Node<TPrep, TExec> node, TPrep prep, StepInvocation step) : IExecAttempt<TExec>
    {
        public ValueTask<TExec> RunAsync(int attempt) => node.ExecAsync(prep, new ExecContext(step, attempt), step.CancellationToken);

        public ValueTask<TExec> FallbackAsync(Exception exception, int attempt)
        {
            step.UsedFallback = true;
            return node.ExecFallbackAsync(prep, exception, new ExecContext(step, attempt), step.CancellationToken);
        }

        public ValueTask RetryingAsync(Exception exception, int attempt) => step.RetryingAsync(exception, attempt);
    }
}
