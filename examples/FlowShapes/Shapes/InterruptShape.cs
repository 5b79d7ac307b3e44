using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>Human in the loop: the review node stops the run until a person answers; the answer resumes it.</summary>
internal static class InterruptShape
{
    private sealed record Verdict(bool Approve, string Reviewer);

    public static async Task<string> RunAsync(FlowRunner runner)
    {
        var draft = Node.Create("draft", async (state, _) =>
        {
            await state.SetAsync("draft", "FlowState keeps workflow state.");
            return null;
        });
        var review = Node.Create<Verdict, Verdict>(
            "review",
            prep: (_, context) =>
            {
                var verdict = context.GetResumeInput<Verdict>();
                if (verdict is null)
                {
                    context.Interrupt("please review the draft");
                }

                return ValueTask.FromResult(verdict);
            },
            exec: (verdict, _) => ValueTask.FromResult(verdict),
            post: async (state, _, verdict, _) =>
            {
                await state.SetAsync("reviewer", verdict.Reviewer);
                return verdict.Approve ? "approve" : "reject";
            });
        var publish = Node.Create("publish", async (state, _) =>
        {
            await state.SetAsync("published", true);
            return null;
        });
        var flow = new FlowBuilder("human-review").Connect(draft, review).Connect(review, publish, "approve").Connect(review, draft, "reject").Build();

        var waiting = await runner.RunAsync(flow);
        var done = await runner.ResumeAsync(flow, waiting.RunId, new FlowRunOptions { ResumeInput = new Verdict(true, "ada") });
        return $"{waiting.Status} ({waiting.InterruptReason}), then {done.Status}: published by {done.State["reviewer"]}";
    }
}
