using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>A two-node sub-flow runs once per file; the file name arrives as a parameter.</summary>
internal static class BatchFlowShape
{
    public static async Task<string> RunAsync(FlowRunner runner)
    {
        var fetch = Node.Create<string, string>(
            "fetch",
            prep: (_, context) => ValueTask.FromResult(context.GetParam<string>("file")!),
            exec: (file, _) => ValueTask.FromResult($"contents of {file}"),
            post: async (_, file, contents, context) =>
            {
                await context.StepState.SetAsync(file, contents.Length);
                return null;
            });
        var index = Node.Create("index", async (state, context) =>
        {
            await state.UpdateAsync<List<string>>("indexed", list => [.. list ?? [], context.GetParam<string>("file")!]);
            return null;
        });
        var perFile = new FlowBuilder("per-file").Sequence(fetch, index).Build();
        var batch = new BatchFlow(
            "all-files",
            perFile,
            prep: async (state, _) => (await state.GetAsync<string[]>("files"))!.Select(f => (object)new { file = f }));
        var flow = new FlowBuilder("batch-flow").Add(batch).Build();

        var result = await runner.RunAsync(flow, new { files = new[] { "a.md", "b.md", "c.md" } });
        return $"indexed {result.State["indexed"]!.ToJsonString()}";
    }
}
