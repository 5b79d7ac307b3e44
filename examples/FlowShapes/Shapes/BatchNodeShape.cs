using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>One node, exec per item (two at a time): the length of every chapter.</summary>
internal static class BatchNodeShape
{
    public static async Task<string> RunAsync(FlowRunner runner)
    {
        var flow = new FlowBuilder("batch-node").Add(new ChapterLengths { MaxDegreeOfParallelism = 2, MaxRetries = 1 }).Build();
        var result = await runner.RunAsync(flow, new { chapters = new[] { "It was a dark night.", "The flow ran.", "State survived the crash, as it should." } });
        return $"chapter lengths {result.State["lengths"]!.ToJsonString()}";
    }

    private sealed class ChapterLengths() : BatchNode<string, int>("chapter-lengths")
    {
        protected override async ValueTask<IReadOnlyList<string>> PrepAsync(IStateReader state, PrepContext context, CancellationToken cancellationToken) =>
            (await state.GetAsync<string[]>("chapters", cancellationToken))!;

        protected override ValueTask<int> ExecItemAsync(string item, ExecContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(item.Length);

        protected override async ValueTask<string?> PostAsync(IStateStore state, IReadOnlyList<string> prep, IReadOnlyList<int> exec, PostContext context, CancellationToken cancellationToken)
        {
            await state.SetAsync("lengths", exec, cancellationToken: cancellationToken);
            return null;
        }
    }
}
