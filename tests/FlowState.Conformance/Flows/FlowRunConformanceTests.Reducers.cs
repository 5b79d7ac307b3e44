using System.Text.Json.Nodes;
using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>Reducers per run field: sets combine with the field's value instead of the last writer winning.</summary>
public abstract partial class FlowRunConformanceTests
{
    /// <summary>A branch whose one node sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    private static Flow Setting(string name, string key, object value) =>
        new FlowBuilder(name).Add(Node.Create(name, async (state, _) =>
        {
            await state.SetAsync(key, value);
            return null;
        })).Build();

    [Fact]
    public async Task Parallel_branches_setting_a_field_with_a_reducer_all_contribute()
    {
        const int Branches = 6;
        var runner = NewRunner();
        var fanOut = new ParallelNode(
            "fan-out",
            [
                .. Enumerable.Range(0, Branches).Select(i => Setting($"found-{i}", "found", new[] { $"doc-{i}" })),
                .. Enumerable.Range(0, Branches).Select(i => Setting($"cost-{i}", "cost", i + 1)),
                .. Enumerable.Range(0, Branches).Select(i => Setting($"best-{i}", "best", i * 10)),
                .. Enumerable.Range(0, Branches).Select(i => Setting($"meta-{i}", "meta", new Dictionary<string, object> { [$"b{i}"] = new { done = true } })),
                .. Enumerable.Range(0, Branches).Select(i => Setting($"plain-{i}", "plain", i)),
            ]);
        var flow = new FlowBuilder("research")
            .Add(fanOut)
            .WithReducer("found", FlowReducer.Append)
            .WithReducer("cost", FlowReducer.Sum)
            .WithReducer("best", FlowReducer.Max)
            .WithReducer("meta", FlowReducer.DeepMerge)
            .Build();

        var result = await runner.RunAsync(flow, new { cost = 100, meta = new { started = "now" } });

        Assert.Equal(Enumerable.Range(0, Branches).Select(i => $"doc-{i}").Order(), result.State["found"]!.AsArray().Select(n => n!.GetValue<string>()).Order());
        Assert.Equal(100 + (Branches * (Branches + 1) / 2), result.State["cost"]!.GetValue<double>());
        Assert.Equal((Branches - 1) * 10, result.State["best"]!.GetValue<double>());
        var meta = result.State["meta"]!.AsObject();
        Assert.Equal("now", meta["started"]!.GetValue<string>());
        Assert.All(Enumerable.Range(0, Branches), i => Assert.True(meta[$"b{i}"]!["done"]!.GetValue<bool>()));
        Assert.InRange(result.State["plain"]!.GetValue<int>(), 0, Branches - 1);
    }

    [Fact]
    public async Task A_reducer_of_your_own_combines_typed_values_across_steps()
    {
        var runner = NewRunner();
        var flow = new FlowBuilder("tally")
            .Sequence(Setting("first", "words", new[] { "b", "a" }).Start, Setting("second", "words", new[] { "c", "a" }).Start)
            .WithReducer("words", FlowReducer.Create<string[]>((all, some) => [.. (all ?? []).Union(some).Order(StringComparer.Ordinal)]))
            .Build();

        var result = await runner.RunAsync(flow);

        Assert.Equal("""["a","b","c"]""", result.State["words"]!.ToJsonString());
    }

    [Fact]
    public async Task A_reducer_that_cannot_combine_the_values_fails_the_step_with_a_typed_error_and_writes_nothing()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        var flow = new FlowBuilder("bad-sum").Add(Setting("add", "total", "ten").Start).WithReducer("total", FlowReducer.Sum).Build();

        var error = await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(flow, new { total = 5 }, new FlowRunOptions { RunId = "bad-sum" }));

        var cause = Assert.IsType<StateValueException>(error.InnerException);
        Assert.Contains("The sum reducer of field 'total' cannot combine its value with the one set", cause.Message, StringComparison.Ordinal);
        Assert.Equal(5, await store.For(StateScope.Workflow("bad-sum")).GetAsync<int>("total"));
    }

    [Fact]
    public void A_field_gets_one_reducer()
    {
        var builder = new FlowBuilder("twice").Add(Trace("a")).WithReducer("items", FlowReducer.Append);

        var error = Assert.Throws<ArgumentException>(() => builder.WithReducer("items", FlowReducer.Sum));

        Assert.Contains("already has the append reducer", error.Message, StringComparison.Ordinal);
    }
}
