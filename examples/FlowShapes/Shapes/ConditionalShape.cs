using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>A review node branches on state: approve or send back for revision.</summary>
internal static class ConditionalShape
{
    public static async Task<string> RunAsync(FlowRunner runner)
    {
        var review = Node.Create<int, string>(
            "review",
            prep: async (state, _) => await state.GetAsync<int>("score"),
            exec: (score, _) => ValueTask.FromResult(score >= 7 ? "approve" : "revise"),
            post: (_, _, decision, _) => ValueTask.FromResult<string?>(decision));
        var approve = Node.Create("approved", async (state, _) =>
        {
            await state.SetAsync("outcome", "published");
            return null;
        });
        var revise = Node.Create("revision", async (state, _) =>
        {
            await state.SetAsync("outcome", "sent back to the author");
            return null;
        });
        var flow = new FlowBuilder("conditional").Connect(review, approve, "approve").Connect(review, revise, "revise").Build();

        var good = await runner.RunAsync(flow, new { score = 9 });
        var weak = await runner.RunAsync(flow, new { score = 4 });
        return $"score 9: {good.State["outcome"]}; score 4: {weak.State["outcome"]}";
    }
}
