using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>run_async_batch(flow, initial_state): a flow per item, four at a time, returning the final state.</summary>
internal static class AsyncParallelBatchShape
{
    public static async Task<string> RunAsync(FlowRunner runner)
    {
        var translate = Node.Create<string, string>(
            "translate",
            prep: (_, context) => ValueTask.FromResult(context.GetParam<string>("word")!),
            exec: async (word, _) =>
            {
                await Task.Delay(20); // a slow service: concurrency is what makes the batch fast
                return new string(word.Reverse().ToArray());
            },
            post: async (state, word, translated, _) =>
            {
                await state.MergeAsync("dictionary", new Dictionary<string, string> { [word] = translated });
                return null;
            });
        var flow = new FlowBuilder("translate-one").Add(translate).Build();
        var words = new[] { "state", "flow", "node", "step", "run", "batch", "scope", "store" };

        var finalState = await runner.RunBatchAsync(flow, words.Select(w => (object)new { word = w }), new { language = "mirror" }, maxDegreeOfParallelism: 4);
        return $"{finalState["dictionary"]!.AsObject().Count} words translated to {finalState["language"]}, e.g. flow → {finalState["dictionary"]!["flow"]}";
    }
}
