using FlowState.Flows;

namespace FlowState.Docs.Tests.Examples;

/// <summary>A flow the guides run when the flow itself is not the point: one node that doubles <c>price</c>.</summary>
public static class ExampleFlow
{
    public static Flow Create() => new FlowBuilder("pricing")
        .Add(Node.Create("double", async (state, _) =>
        {
            await state.UpdateAsync<double>("price", p => p * 2);
            return null;
        }))
        .Build();
}
