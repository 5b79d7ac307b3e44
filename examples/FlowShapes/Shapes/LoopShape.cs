using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>A draft is improved until it is good enough, with an iteration counter in state as the guard.</summary>
internal static class LoopShape
{
    public static async Task<string> RunAsync(FlowRunner runner)
    {
        var improve = Node.Create("improve", async (state, _) =>
        {
            var iteration = await state.UpdateAsync<int>("iteration", n => n + 1);
            var quality = await state.UpdateAsync<int>("quality", q => q + 15);
            var enough = quality >= 80 || iteration >= await state.GetAsync<int>("maxIterations");
            return enough ? "done" : "again";
        });
        var finish = Node.Create("finish", (_, _) => ValueTask.FromResult<string?>(null));
        var flow = new FlowBuilder("loop").Connect(improve, improve, "again").Connect(improve, finish, "done").Build();

        var result = await runner.RunAsync(flow, new { quality = 10, maxIterations = 10 });
        return $"quality {result.State["quality"]} after {result.State["iteration"]} iterations";
    }
}
