namespace FlowState.Flows;

/// <summary>A node whose phases are delegates (made by <see cref="Node.Create{TPrep, TExec}"/>).</summary>
internal sealed class LambdaNode<TPrep, TExec>(
    string name,
    Func<IStateReader, PrepContext, ValueTask<TPrep>>? prep,
    Func<TPrep, ExecContext, ValueTask<TExec>> exec,
    Func<IStateStore, TPrep, TExec, PostContext, ValueTask<string?>>? post,
    Func<TPrep, Exception, ExecContext, ValueTask<TExec>>? fallback,
    Func<NodeCompletion, ValueTask>? onComplete) : Node<TPrep, TExec>(name)
{
    protected internal override ValueTask<TPrep> PrepAsync(IStateReader state, PrepContext context, CancellationToken cancellationToken) =>
        prep is null ? base.PrepAsync(state, context, cancellationToken) : prep(state, context);

    protected internal override ValueTask<TExec> ExecAsync(TPrep prep, ExecContext context, CancellationToken cancellationToken) => exec(prep, context);

    protected internal override ValueTask<TExec> ExecFallbackAsync(TPrep prep, Exception exception, ExecContext context, CancellationToken cancellationToken) =>
        fallback is null ? base.ExecFallbackAsync(prep, exception, context, cancellationToken) : fallback(prep, exception, context);

    protected internal override ValueTask<string?> PostAsync(IStateStore state, TPrep prep, TExec exec, PostContext context, CancellationToken cancellationToken) =>
        post is null ? base.PostAsync(state, prep, exec, context, cancellationToken) : post(state, prep, exec, context);

    private protected override bool HasCompletionHook() => onComplete is not null;

    protected internal override ValueTask OnCompleteAsync(NodeCompletion completion, CancellationToken cancellationToken) =>
        onComplete is null ? base.OnCompleteAsync(completion, cancellationToken) : onComplete(completion);
}
