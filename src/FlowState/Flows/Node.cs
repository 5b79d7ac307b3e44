namespace FlowState.Flows;

/// <summary>Builds nodes from delegates, for nodes too small to deserve a class.</summary>
/// <example>
/// <code>
/// var count = Node.Create(
///     "count",
///     prep: async (state, _) => await state.GetAsync&lt;string&gt;("text"),
///     exec: (text, _) => ValueTask.FromResult(text!.Split(' ').Length),
///     post: async (state, _, words, _) => { await state.SetAsync("words", words); return null; });
/// </code>
/// </example>
public static class Node
{
    /// <summary>A node with the given phases; delegates left null behave as in <see cref="Node{TPrep, TExec}"/>.</summary>
    /// <param name="name">The node's name (unique within a flow).</param>
    /// <param name="prep">Reads state (read-only).</param>
    /// <param name="exec">The work; sees no state; retried per <paramref name="maxRetries"/>.</param>
    /// <param name="post">Writes state (staged until it returns) and returns the action (null: <c>"default"</c>).</param>
    /// <param name="maxRetries">Retries of a failed exec (default 0).</param>
    /// <param name="retryDelay">The wait before the first retry (default none).</param>
    /// <param name="retryBackoff">How the waits grow: constant (the default), linear or exponential.</param>
    /// <param name="fallback">Runs when exec failed on its last attempt; its result goes to post.</param>
    /// <param name="onComplete">Runs after every step of the node, committed or failed.</param>
    /// <param name="cacheFor">Caches exec's result by prep's input for this long (<see cref="Node{TPrep, TExec}.CacheFor"/>); null: no cache.</param>
    /// <exception cref="ArgumentException">The name is not valid or a retry setting is out of range.</exception>
    public static Node<TPrep, TExec> Create<TPrep, TExec>(
        string name,
        Func<IStateReader, PrepContext, ValueTask<TPrep>>? prep,
        Func<TPrep, ExecContext, ValueTask<TExec>> exec,
        Func<IStateStore, TPrep, TExec, PostContext, ValueTask<string?>>? post = null,
        int maxRetries = 0,
        TimeSpan retryDelay = default,
        Polly.DelayBackoffType retryBackoff = Polly.DelayBackoffType.Constant,
        Func<TPrep, Exception, ExecContext, ValueTask<TExec>>? fallback = null,
        Func<NodeCompletion, ValueTask>? onComplete = null,
        TimeSpan? cacheFor = null)
    {
        ArgumentNullException.ThrowIfNull(exec);
        return new LambdaNode<TPrep, TExec>(name, prep, exec, post, fallback, onComplete)
        {
            MaxRetries = maxRetries,
            RetryDelay = retryDelay,
            RetryBackoff = retryBackoff,
            CacheFor = cacheFor,
        };
    }

    /// <summary>A node that only reads and writes state (no prep result, no exec work): <paramref name="post"/> does it all.</summary>
    /// <exception cref="ArgumentException">The name is not valid.</exception>
    public static Node<bool, bool> Create(string name, Func<IStateStore, PostContext, ValueTask<string?>> post)
    {
        ArgumentNullException.ThrowIfNull(post);
        return new LambdaNode<bool, bool>(name, null, static (_, _) => ValueTask.FromResult(true), (state, _, _, context) => post(state, context), null, null);
    }
}
