using FlowState.Flows;

namespace FlowState.Conformance;

/// <summary>
/// The flow the flow crash test runs, compiled into both the harness (which runs it until killed) and the test (which
/// resumes it): a sequence, a parallel step of two branches, a batch flow over three items and a closing node. Each
/// post counts itself in global state under <c>effects/{run}/{node}[/{item}]</c>, so a post applied twice or never
/// shows.
/// </summary>
internal static class CrashTestFlow
{
    public const string Name = "crash-flow";

    private static readonly string[] Items = ["x", "y", "z"];

    /// <summary>The effect keys a completed run must hold, each with the value 1.</summary>
    public static IEnumerable<string> ExpectedEffects(string runId) =>
        new[] { "n1", "n2", "n3", "left-1", "left-2", "right-1", "right-2", "after" }
            .Concat(Items.Select(i => "item/" + i))
            .Append("items")
            .Select(node => $"effects/{runId}/{node}");

    /// <summary>
    /// The flow; each node's exec waits <paramref name="stepDelayMilliseconds"/> (so that a kill can land mid-run), and
    /// <paramref name="posted"/> hears each effect key once its post returned (so a parent can wait for progress). The
    /// exec of the node named <paramref name="holdAt"/>, if any, waits until the process is killed: a run that is to be
    /// killed then cannot end first, however late the kill comes.
    /// </summary>
    public static Flow Build(int stepDelayMilliseconds = 1, Action<string>? posted = null, string? holdAt = null)
    {
        Node<string, string> Step(string name, bool perItem = false) =>
            Counting(name, name == holdAt ? Timeout.Infinite : stepDelayMilliseconds, posted, perItem);

        var parallel = new ParallelNode(
            "fan",
            new FlowBuilder("left").Sequence(Step("left-1"), Step("left-2")).Build(),
            new FlowBuilder("right").Sequence(Step("right-1"), Step("right-2")).Build());
        var items = new BatchFlow(
            "items",
            new FlowBuilder("item").Add(Step("item", perItem: true)).Build(),
            prep: (_, _) => ValueTask.FromResult(Items.Select(i => (object)new { item = i })),
            post: async (state, context) =>
            {
                await context.GlobalState.UpdateAsync<int>($"effects/{context.RunId}/items", n => n + 1);
                await state.UpdateAsync<int>("posts", n => n + 1);
                return null;
            },
            maxDegreeOfParallelism: 2);
        return new FlowBuilder(Name).Sequence(Step("n1"), Step("n2"), Step("n3"), parallel, items, Step("after")).Build();
    }

    private static Node<string, string> Counting(string name, int delayMilliseconds, Action<string>? posted, bool perItem = false) =>
        Node.Create<string, string>(
            name,
            prep: (_, context) => ValueTask.FromResult(perItem ? $"{name}/{context.GetParam<string>("item")}" : name),
            exec: async (effect, _) =>
            {
                await Task.Delay(delayMilliseconds);
                return effect;
            },
            post: async (state, _, effect, context) =>
            {
                await context.GlobalState.UpdateAsync<int>($"effects/{context.RunId}/{effect}", n => n + 1);
                await state.UpdateAsync<int>("posts", n => n + 1);
                posted?.Invoke($"effects/{context.RunId}/{effect}");
                return null;
            });
}
