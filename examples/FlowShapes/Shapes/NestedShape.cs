using FlowState.Flows;

namespace FlowState.Examples.FlowShapes;

/// <summary>A flow used as a node: the outer flow continues on the action the inner flow ended with.</summary>
internal static class NestedShape
{
    public static async Task<string> RunAsync(FlowRunner runner)
    {
        Node<bool, bool> Log(string name, string? action = null) => Node.Create(name, async (state, _) =>
        {
            await state.UpdateAsync<List<string>>("log", log => [.. log ?? [], name]);
            return action;
        });
        var validate = new FlowBuilder("validate").Sequence(Log("check-schema"), Log("check-links", action: "valid")).Build();
        var flow = new FlowBuilder("nested").Connect(Log("receive"), validate).Connect(validate, Log("publish"), "valid").Build();

        var result = await runner.RunAsync(flow);
        return string.Join(" → ", result.State["log"]!.AsArray().Select(n => n!.ToString()));
    }
}
