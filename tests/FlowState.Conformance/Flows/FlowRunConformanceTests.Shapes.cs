using System.Text.Json.Nodes;
using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

public abstract partial class FlowRunConformanceTests
{
    [Fact]
    public async Task Sequential_flow_runs_its_nodes_in_order_and_returns_the_final_state()
    {
        var flow = new FlowBuilder("sequence").Sequence(Trace("a"), Trace("b"), Trace("c")).Build();

        var result = await NewRunner().RunAsync(flow, new { input = "x" });

        Assert.Equal("""["a","b","c"]""", result.State["trace"]!.ToJsonString());
        Assert.Equal("x", result.State["input"]!.GetValue<string>());
        Assert.Equal(3, result.Steps);
        Assert.Equal("default", result.Action);
    }

    [Theory]
    [InlineData(5, "small")]
    [InlineData(50, "large")]
    public async Task Conditional_flow_branches_on_state(int size, string expected)
    {
        var classify = Node.Create<int, string>(
            "classify",
            prep: async (state, _) => await state.GetAsync<int>("size"),
            exec: (value, _) => ValueTask.FromResult(value < 10 ? "small" : "large"),
            post: (_, _, action, _) => ValueTask.FromResult<string?>(action));
        var flow = new FlowBuilder("branch")
            .Connect(classify, Trace("small"), "small")
            .Connect(classify, Trace("large"), "large")
            .Build();

        var result = await NewRunner().RunAsync(flow, new { size });

        Assert.Equal($"""["{expected}"]""", result.State["trace"]!.ToJsonString());
    }

    [Fact]
    public async Task Loop_runs_until_its_counter_in_state_says_done()
    {
        var step = Node.Create("step", async (state, _) =>
        {
            var iteration = await state.UpdateAsync<int>("iteration", n => n + 1);
            return iteration < await state.GetAsync<int>("maxIterations") ? "again" : "done";
        });
        var flow = new FlowBuilder("loop").Connect(step, step, "again").Connect(step, Trace("finish"), "done").Build();

        var result = await NewRunner().RunAsync(flow, new { maxIterations = 7 });

        Assert.Equal(7, result.State["iteration"]!.GetValue<int>());
        Assert.Equal(8, result.Steps);
    }

    [Fact]
    public async Task Loop_without_exit_fails_at_the_flows_step_limit()
    {
        var step = Add("spin", "n", action: "again");
        var flow = new FlowBuilder("endless").Connect(step, step, "again").WithMaxSteps(25).Build();

        var error = await Assert.ThrowsAsync<FlowException>(() => NewRunner().RunAsync(flow));

        Assert.Contains("25 steps", error.Message, StringComparison.Ordinal);
        Assert.Equal("spin", error.NodeName);
    }

    [Fact]
    public async Task Parallel_branches_join_on_shared_state_without_losing_updates()
    {
        static Flow Branch(string name) =>
            new FlowBuilder(name).Sequence(Add(name + "-1", "total", 1), Add(name + "-2", "total", 10), Add(name + "-3", "total", 100)).Build();

        var parallel = new ParallelNode("fan-out", Branch("a"), Branch("b"), Branch("c"), Branch("d"));
        var join = Node.Create<int, string>(
            "join",
            prep: async (state, _) => await state.GetAsync<int>("total"),
            exec: (total, _) => ValueTask.FromResult($"total={total}"),
            post: async (state, _, summary, _) =>
            {
                await state.SetAsync("summary", summary);
                return null;
            });
        var flow = new FlowBuilder("parallel").Connect(parallel, join).Build();

        var result = await NewRunner().RunAsync(flow);

        Assert.Equal("total=444", result.State["summary"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_node_runs_exec_per_item_and_post_gets_results_in_item_order()
    {
        var node = new WordLengths { MaxDegreeOfParallelism = 3 };
        var flow = new FlowBuilder("batch").Add(node).Build();

        var result = await NewRunner().RunAsync(flow, new { words = new[] { "state", "is", "shared", "by", "steps" } });

        Assert.Equal("[5,2,6,2,5]", result.State["lengths"]!.ToJsonString());
    }

    [Fact]
    public async Task Batch_flow_runs_a_sub_flow_per_parameter_set()
    {
        var record = Node.Create("record", async (state, context) =>
        {
            var file = context.GetParam<string>("file");
            await state.UpdateAsync<List<string>>("seen", seen => [.. seen ?? [], $"{file}@{context.GetParam<string>("tenant")}"]);
            return null;
        });
        var perFile = new FlowBuilder("per-file").Add(record).Build();
        var batch = new BatchFlow(
            "files",
            perFile,
            prep: async (state, _) => (await state.GetAsync<string[]>("files"))!.Select(f => (object)new { file = f }),
            post: async (state, _) =>
            {
                await state.SetAsync("done", true);
                return "finished";
            });
        var flow = new FlowBuilder("batch-flow").Connect(batch, Trace("after"), "finished").Build();

        var result = await NewRunner().RunAsync(flow, new { files = new[] { "a.txt", "b.txt", "c.txt" } }, new FlowRunOptions { Params = new { tenant = "acme" } });

        Assert.Equal("""["a.txt@acme","b.txt@acme","c.txt@acme"]""", result.State["seen"]!.ToJsonString());
        Assert.True(result.State["done"]!.GetValue<bool>());
        Assert.Equal("""["after"]""", result.State["trace"]!.ToJsonString());
    }

    [Fact]
    public async Task Async_parallel_batch_runs_items_concurrently_within_the_bound_and_returns_the_final_state()
    {
        var running = 0;
        var peak = 0;
        var work = Node.Create<int, int>(
            "square",
            prep: (_, context) => ValueTask.FromResult(context.GetParam<int>("n")),
            exec: async (n, _) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref peak, now);
                await Task.Delay(20);
                Interlocked.Decrement(ref running);
                return n * n;
            },
            post: async (state, n, square, _) =>
            {
                await state.SetAsync($"square-{n}", square);
                await state.UpdateAsync<int>("sum", s => s + square);
                return null;
            });
        var flow = new FlowBuilder("squares").Add(work).Build();

        JsonObject state = await NewRunner().RunBatchAsync(flow, Enumerable.Range(1, 12).Select(n => (object)new { n }), new { sum = 0 }, maxDegreeOfParallelism: 3);

        Assert.Equal(Enumerable.Range(1, 12).Sum(n => n * n), state["sum"]!.GetValue<int>());
        Assert.Equal(144, state["square-12"]!.GetValue<int>());
        Assert.InRange(peak, 2, 3);
    }

    [Fact]
    public async Task Async_batch_takes_its_items_from_the_runs_initial_state()
    {
        static Flow Tagging(Func<PrepContext, string> tag) => new FlowBuilder("tagging").Add(Node.Create<string, string>(
            "tag",
            prep: (_, context) => ValueTask.FromResult(tag(context)),
            exec: (value, _) => ValueTask.FromResult(value),
            post: async (state, _, value, _) =>
            {
                await state.UpdateAsync<List<string>>("tags", tags => [.. tags ?? [], value]);
                return null;
            })).Build();

        var orders = await NewRunner().RunBatchAsync(
            Tagging(c => $"{c.GetParam<string>("name")}x{c.GetParam<int>("qty")}"),
            "orders",
            new { orders = new object[] { new { name = "tea", qty = 2 }, new { name = "jam", qty = 1 } } },
            maxDegreeOfParallelism: 2);
        var files = await NewRunner().RunBatchAsync(Tagging(c => c.GetParam<string>("item")!), "files", new { files = new[] { "a.txt", "b.txt" } });
        var missing = await Assert.ThrowsAnyAsync<FlowException>(() => NewRunner().RunBatchAsync(Tagging(c => "never"), "files", new { other = 1 }));

        Assert.Equal(["jamx1", "teax2"], orders["tags"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(["a.txt", "b.txt"], files["tags"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Contains("has no array 'files' in its state", missing.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nested_flow_runs_as_one_node_and_passes_on_the_action_of_its_last_node()
    {
        var inner = new FlowBuilder("inner").Sequence(Trace("inner-a"), Trace("inner-b", action: "inner-done")).Build();
        var flow = new FlowBuilder("outer")
            .Connect(Trace("before"), inner)
            .Connect(inner, Trace("after"), "inner-done")
            .Build();

        var result = await NewRunner().RunAsync(flow);

        Assert.Equal("""["before","inner-a","inner-b","after"]""", result.State["trace"]!.ToJsonString());
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private sealed class WordLengths() : BatchNode<string, int>("lengths")
    {
        protected internal override async ValueTask<IReadOnlyList<string>> PrepAsync(IStateReader state, PrepContext context, CancellationToken cancellationToken) =>
            (await state.GetAsync<string[]>("words", cancellationToken))!;

        protected override async ValueTask<int> ExecItemAsync(string item, ExecContext context, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return item.Length;
        }

        protected internal override async ValueTask<string?> PostAsync(IStateStore state, IReadOnlyList<string> prep, IReadOnlyList<int> exec, PostContext context, CancellationToken cancellationToken)
        {
            await state.SetAsync("lengths", exec, cancellationToken: cancellationToken);
            return null;
        }
    }
}
