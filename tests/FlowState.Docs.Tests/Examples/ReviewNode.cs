using FlowState.Flows;

namespace FlowState.Docs.Tests.Examples;

/// <summary>What the flow guide's reviewer decides.</summary>
public sealed record Verdict(bool Approved, string Comment);

/// <summary>The flow guide's class-based node: approves a draft that is long enough, else asks for a revision.</summary>
public sealed class ReviewNode() : Node<string, Verdict>("review")
{
    protected override async ValueTask<string> PrepAsync(IStateReader state, PrepContext context, CancellationToken cancellationToken) =>
        await state.GetAsync<string>("draft", cancellationToken) ?? "";

    protected override ValueTask<Verdict> ExecAsync(string prep, ExecContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(prep.Length >= 20 ? new Verdict(true, "fine") : new Verdict(false, "too short"));

    protected override async ValueTask<string?> PostAsync(IStateStore state, string prep, Verdict exec, PostContext context, CancellationToken cancellationToken)
    {
        await state.SetAsync("verdict", exec, cancellationToken: cancellationToken);
        return exec.Approved ? "approve" : "revise";
    }
}
