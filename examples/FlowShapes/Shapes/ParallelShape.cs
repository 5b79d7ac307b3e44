using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>Three research branches run at once and join on the run's shared state.</summary>
internal static class ParallelShape
{
    public static async Task<string> RunAsync(FlowRunner runner)
    {
        static Flow Research(string source, int findings) => new FlowBuilder(source).Add(Node.Create<bool, int>(
            $"search-{source}",
            prep: null,
            exec: async (_, _) =>
            {
                await Task.Delay(10);
                return findings;
            },
            post: async (state, _, found, _) =>
            {
                await state.UpdateAsync<int>("findings", n => n + found);
                await state.UpdateAsync<List<string>>("sources", s => [.. s ?? [], source]);
                return null;
            })).Build();
        var summarize = Node.Create("summarize", async (state, _) =>
        {
            await state.SetAsync("summary", $"{await state.GetAsync<int>("findings")} findings from {(await state.GetAsync<List<string>>("sources"))!.Count} sources");
            return null;
        });
        var flow = new FlowBuilder("parallel")
            .Connect(new ParallelNode("research", Research("web", 4), Research("papers", 2), Research("notes", 7)), summarize)
            .Build();

        var result = await runner.RunAsync(flow);
        return result.State["summary"]!.ToString();
    }
}
