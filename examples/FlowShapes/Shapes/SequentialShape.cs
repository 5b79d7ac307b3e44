using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>load → clean → count: each node reads what the previous one wrote to the run's state.</summary>
internal static class SequentialShape
{
    public static async Task<string> RunAsync(FlowRunner runner)
    {
        var clean = Node.Create<string, string>(
            "clean",
            prep: async (state, _) => (await state.GetAsync<string>("text"))!,
            exec: (text, _) => ValueTask.FromResult(string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant()),
            post: async (state, _, cleaned, _) =>
            {
                await state.SetAsync("clean", cleaned);
                return null;
            });
        var count = Node.Create<string, int>(
            "count",
            prep: async (state, _) => (await state.GetAsync<string>("clean"))!,
            exec: (text, _) => ValueTask.FromResult(text.Split(' ').Length),
            post: async (state, _, words, _) =>
            {
                await state.SetAsync("words", words);
                return null;
            });
        var flow = new FlowBuilder("sequential").Sequence(clean, count).Build();

        var result = await runner.RunAsync(flow, new { text = "  State   is shared  by the STEPS of a flow " });
        return $"\"{result.State["clean"]}\" has {result.State["words"]} words";
    }
}
