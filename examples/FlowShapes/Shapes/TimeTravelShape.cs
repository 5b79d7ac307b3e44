using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>History: every step is a checkpoint of its changes; read the state at any step, fork from it, edit it.</summary>
internal static class TimeTravelShape
{
    public static async Task<string> RunAsync(FlowRunner runner)
    {
        var history = new FlowRunner(runner.Runs.Store, new FlowRunnerOptions { History = new FlowHistoryOptions { MaxCheckpoints = 100 }, RetainCompletedRuns = true });
        Node<bool, bool> Price(string name, double factor) => Node.Create(name, async (state, _) =>
        {
            await state.UpdateAsync<double>("price", p => Math.Round(p * factor, 2));
            return null;
        });
        var flow = new FlowBuilder("pricing").Sequence(Price("base", 1), Price("discount", 0.8), Price("tax", 1.2)).Build();

        var run = await history.RunAsync(flow, new { price = 100.0 });
        var afterDiscount = await history.GetStateAtAsync(run.RunId, 2);
        var forkId = await history.ForkAsync(run.RunId, 1);
        await history.UpdateStateAsync(forkId, new { price = 200.0 });
        var fork = await history.ResumeAsync(flow, forkId);
        var steps = (await history.GetHistoryAsync(run.RunId)).Count;
        return $"{steps} checkpoints; price after discount {afterDiscount["price"]}, final {run.State["price"]}; fork repriced at 200 ends at {fork.State["price"]}";
    }
}
