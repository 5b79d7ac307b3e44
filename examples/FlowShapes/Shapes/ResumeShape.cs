using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>A run fails at its third step; resuming it continues there, and the first two posts do not run again.</summary>
internal static class ResumeShape
{
    public static async Task<string> RunAsync(FlowRunner runner)
    {
        var serviceUp = false;
        Node<bool, bool> Step(string name, bool callsService = false) => Node.Create<bool, bool>(
            name,
            prep: null,
            exec: (_, _) => callsService && !serviceUp ? throw new HttpRequestException("service unavailable") : ValueTask.FromResult(true),
            post: async (state, _, _, _) =>
            {
                await state.UpdateAsync<List<string>>("done", done => [.. done ?? [], name]);
                return null;
            });
        var flow = new FlowBuilder("resumable").Sequence(Step("extract"), Step("enrich"), Step("upload", callsService: true), Step("notify")).Build();

        string runId;
        try
        {
            await runner.RunAsync(flow);
            return "the run should have failed";
        }
        catch (FlowStepException failed)
        {
            runId = failed.RunId!;
        }

        serviceUp = true;
        var result = await runner.ResumeAsync(flow, runId);
        return $"{runId} failed at 'upload', resumed: {string.Join(", ", result.State["done"]!.AsArray().Select(n => n!.ToString()))} (each once)";
    }
}
