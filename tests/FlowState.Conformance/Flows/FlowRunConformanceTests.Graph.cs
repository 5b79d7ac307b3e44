using System.Text.Json;
using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>A run's recorded shape: the flow's graph, kept with the run (and its forks), and the node it continues with.</summary>
public abstract partial class FlowRunConformanceTests
{
    [Fact]
    public async Task A_run_records_its_flow_s_graph_and_a_fork_inherits_it()
    {
        var store = NewStore();
        var runner = HistoryRunner(store);
        var inner = new FlowBuilder("inner").Sequence(Trace("x"), Trace("y")).Build();
        var flow = new FlowBuilder("shaped")
            .Add(Trace("start", action: "go"))
            .Add(inner)
            .Add(new ParallelNode("both", new FlowBuilder("left").Add(Trace("l")).Build(), new FlowBuilder("right").Add(Trace("r")).Build()))
            .Add(Trace("retry"))
            .Connect("start", "inner", "go")
            .Connect("inner", "both")
            .Connect("both", "retry", "default")
            .Build();
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "shaped-1" });

        var recorded = await runner.GetGraphAsync("shaped-1");
        var forked = await runner.GetGraphAsync(await runner.ForkAsync("shaped-1", 1, "shaped-fork"));

        var graph = flow.ToGraph();
        Assert.Equal(("shaped", "start"), (graph.Name, graph.Start));
        Assert.Equal([("start", "node"), ("inner", "flow"), ("both", "parallel"), ("retry", "node")], graph.Nodes.Select(n => (n.Name, n.Kind)));
        Assert.Equal(["x", "y"], graph.Nodes[1].Subflows.Single().Nodes.Select(n => n.Name));
        Assert.Equal(["left", "right"], graph.Nodes[2].Subflows.Select(f => f.Name));
        Assert.Equal([new FlowGraphEdge("start", "go", "inner"), new FlowGraphEdge("inner", "default", "both"), new FlowGraphEdge("both", "default", "retry")], graph.Edges);
        Assert.Equal(JsonSerializer.Serialize(graph), JsonSerializer.Serialize(recorded));
        Assert.Equal(JsonSerializer.Serialize(graph), JsonSerializer.Serialize(forked));
        Assert.Null(await runner.GetGraphAsync("no-such-run"));
    }

    [Fact]
    public async Task A_run_that_stopped_names_the_node_it_continues_with()
    {
        var runner = NewRunner();
        var failing = true;
        var flow = new FlowBuilder("stops").Sequence(
            Trace("a"),
            Node.Create<bool, bool>("b", prep: null, exec: (_, _) => failing ? throw new InvalidOperationException("not yet") : ValueTask.FromResult(true)),
            Trace("c")).Build();

        await Assert.ThrowsAsync<FlowStepException>(() => runner.RunAsync(flow, options: new FlowRunOptions { RunId = "stops-1" }));
        var failed = await runner.GetRunAsync("stops-1");

        Assert.Equal(FlowRunStatus.Failed, failed!.Status);
        Assert.Equal(runner.RecordsProgress ? "b" : null, failed.NextNode);
        if (runner.RecordsProgress)
        {
            failing = false;
            await runner.ResumeAsync(flow, "stops-1");
            Assert.Null((await runner.GetRunAsync("stops-1"))?.NextNode);
        }
    }
}
