using System.Collections.Concurrent;
using System.Diagnostics;
using FlowState.Flows;

namespace FlowState.Tests.Flows;

public sealed class FlowTracingTests : IDisposable
{
    private readonly ConcurrentBag<Activity> _stopped = [];
    private readonly ActivityListener _listener;

    public FlowTracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == FlowDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Add,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task Run_and_each_step_are_traced_with_run_id_node_and_outcome()
    {
        await using var store = new StateStore();
        var flow = new FlowBuilder("traced").Sequence(
            Node.Create("first", (_, _) => ValueTask.FromResult<string?>(null)),
            Node.Create("second", (_, _) => ValueTask.FromResult<string?>("end"))).Build();

        await new FlowRunner(store).RunAsync(flow, options: new FlowRunOptions { RunId = "traced-ok" });

        var run = Assert.Single(Activities("traced-ok", "flow.run"));
        Assert.Equal("traced", run.GetTagItem("flowstate.flow"));
        Assert.Equal(["run.started", "run.completed"], run.Events.Select(e => e.Name));
        var steps = Activities("traced-ok", "flow.step").OrderBy(a => a.StartTimeUtc).ToList();
        Assert.Equal(["first", "second"], steps.Select(s => s.GetTagItem("flowstate.node")));
        Assert.Equal(["default", "end"], steps.Select(s => s.GetTagItem("flowstate.action")));
        Assert.All(steps, s => Assert.Equal(run.SpanId, s.ParentSpanId));
    }

    [Fact]
    public async Task Failed_step_and_run_are_traced_as_errors()
    {
        await using var store = new StateStore();
        var flow = new FlowBuilder("traced-fail").Add(Node.Create<bool, bool>("boom", prep: null, exec: (_, _) => throw new InvalidOperationException("exploded"))).Build();

        await Assert.ThrowsAsync<FlowStepException>(() => new FlowRunner(store).RunAsync(flow, options: new FlowRunOptions { RunId = "traced-fail" }));

        var run = Assert.Single(Activities("traced-fail", "flow.run"));
        Assert.Equal(ActivityStatusCode.Error, run.Status);
        Assert.Contains(run.Events, e => e.Name == "run.failed");
        Assert.Equal(ActivityStatusCode.Error, Assert.Single(Activities("traced-fail", "flow.step")).Status);
    }

    private IEnumerable<Activity> Activities(string runId, string name) =>
        _stopped.Where(a => a.OperationName == name && (string?)a.GetTagItem("flowstate.run_id") == runId);
}
