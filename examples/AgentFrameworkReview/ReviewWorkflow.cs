using Microsoft.Agents.AI.Workflows;

/// <summary>draft → (spelling, length, tone) → collect → approval (a person) → publish.</summary>
internal static class ReviewWorkflow
{
    public static Workflow Build()
    {
        var draft = Bind<string, string>("draft", text => text);
        var reviewers = new[]
        {
            Bind<string, string>("spelling", text => "spelling: " + (text.Contains("  ", StringComparison.Ordinal) ? "double spaces" : "fine")),
            Bind<string, string>("length", text => $"length: {text.Length} characters"),
            Bind<string, string>("tone", text => "tone: " + (text.EndsWith('!') ? "loud" : "calm")),
        };

        // The fan-in barrier hands the three reviews over in one super-step, one message at a time; the summary goes
        // on once the third arrived. No checkpoint falls between them, so the list needs no checkpointed state.
        var reviews = new List<string>();
        var collect = ((Func<string, IWorkflowContext, CancellationToken, ValueTask>)([SendsMessage(typeof(string))] async (review, context, cancellationToken) =>
        {
            reviews.Add(review);
            if (reviews.Count == reviewers.Length)
            {
                await context.SendMessageAsync(string.Join("; ", reviews.Order(StringComparer.Ordinal)), cancellationToken: cancellationToken);
                reviews.Clear();
            }
        })).BindAsExecutor<string>("collect");
        var approval = RequestPort.Create<string, bool>("approval");
        var publish = ((Func<bool, IWorkflowContext, CancellationToken, ValueTask>)([YieldsOutput(typeof(string))] async (approved, context, cancellationToken) =>
            await context.YieldOutputAsync(approved ? "published" : "sent back to the author", cancellationToken))).BindAsExecutor<bool>("publish");

        return new WorkflowBuilder(draft)
            .AddFanOutEdge(draft, reviewers)
            .AddFanInBarrierEdge(reviewers, collect)
            .AddEdge(collect, approval)
            .AddEdge(approval, publish)
            .WithOutputFrom(publish)
            .Build();
    }

    private static ExecutorBinding Bind<TIn, TOut>(string name, Func<TIn, TOut> work) =>
        ((Func<TIn, IWorkflowContext, CancellationToken, ValueTask<TOut>>)((input, _, _) => ValueTask.FromResult(work(input)))).BindAsExecutor<TIn, TOut>(name);
}
