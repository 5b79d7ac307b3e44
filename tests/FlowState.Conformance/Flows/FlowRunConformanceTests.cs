using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// The flow runtime on a store: nodes' prep/exec/post lifecycle, every flow shape, run state, staged posts. Every
/// store's test project derives from this class, so flows are checked with and without progress recording on
/// each backend.
/// </summary>
public abstract partial class FlowRunConformanceTests : ConformanceTestBase
{
    /// <summary>Options of the runners the tests make (a derived suite can force progress recording).</summary>
    protected virtual FlowRunnerOptions RunnerOptions => new();

    protected FlowRunner NewRunner(StateStore? store = null) => new(store ?? NewStore(), RunnerOptions);

    /// <summary>
    /// A node that adds <paramref name="amount"/> to the run's field <paramref name="key"/> and returns
    /// <paramref name="action"/>. The add happens in post (a read-modify-write there is checked at commit; a value
    /// read in prep is not, so adding in exec would lose updates of concurrent branches).
    /// </summary>
    protected static Node<int, int> Add(string name, string key, int amount = 1, string? action = null) =>
        Node.Create(
            name,
            prep: (_, _) => ValueTask.FromResult(amount),
            exec: (value, _) => ValueTask.FromResult(value),
            post: async (state, _, value, _) =>
            {
                await state.UpdateAsync<int>(key, n => n + value);
                return action;
            });

    /// <summary>A node that appends its name to the run's list field <c>trace</c>.</summary>
    protected static Node<bool, bool> Trace(string name, string? action = null) =>
        Node.Create(name, async (state, _) =>
        {
            await state.UpdateAsync<List<string>>("trace", trace => [.. trace ?? [], name]);
            return action;
        });
}
