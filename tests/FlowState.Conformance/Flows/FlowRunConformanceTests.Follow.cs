using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>Following a run through the store's change feed (FlowRunner.FollowAsync).</summary>
public abstract partial class FlowRunConformanceTests
{
    private static Flow Traced() => new FlowBuilder("followed").Sequence(Trace("research"), Trace("draft"), Trace("publish")).Build();

    [Fact]
    public async Task A_followed_run_reports_each_committed_step_with_its_node_and_keys_then_its_end()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = true, RetainCompletedRuns = true });
        var follower = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = true });
        var events = ToListAsync(follower.FollowAsync("followed-1"));

        await runner.RunAsync(Traced(), new { topic = "x" }, new FlowRunOptions { RunId = "followed-1" });
        var seen = await events.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(
            [FlowEventKind.RunStarted, FlowEventKind.StepCommitted, FlowEventKind.StepCommitted, FlowEventKind.StepCommitted, FlowEventKind.RunCompleted],
            seen.Select(e => e.Kind));
        Assert.Equal(["research", "draft", "publish"], seen.Where(e => e.Kind == FlowEventKind.StepCommitted).Select(e => e.Node));
        Assert.Equal([0, 1, 2], seen.Where(e => e.Kind == FlowEventKind.StepCommitted).Select(e => e.StepIndex ?? -1));
        Assert.All(seen.Where(e => e.Kind == FlowEventKind.StepCommitted), e => Assert.Equal("trace", Assert.Single(e.Changes!).Key));
        Assert.Equal("""["research","draft","publish"]""", seen[3].Changes!.Single().NewValue);
        Assert.Equal([1L, 2, 3, 4, 5], seen.Select(e => e.Sequence));
        Assert.Equal("default", seen[^1].Action);
    }

    [Fact]
    public async Task A_followed_run_that_stops_for_a_person_reports_the_question_and_a_completed_one_reports_its_end_at_once()
    {
        var store = NewStore();
        var runner = new FlowRunner(store, Recording);
        var stopped = ToListAsync(runner.FollowAsync("followed-2"));

        await runner.RunAsync(Traced(), options: new FlowRunOptions { RunId = "followed-2", InterruptBefore = ["draft"] });
        var interrupted = await stopped.WaitAsync(TimeSpan.FromMinutes(1));
        var resumed = ToListAsync(runner.FollowAsync("followed-2"));
        await runner.ResumeAsync(Traced(), "followed-2");
        var finished = await resumed.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal((FlowEventKind.RunInterrupted, "draft", "breakpoint before 'draft'"), (interrupted[^1].Kind, interrupted[^1].Node, interrupted[^1].Question));
        Assert.Equal([FlowEventKind.RunResumed, FlowEventKind.StepCommitted, FlowEventKind.StepCommitted, FlowEventKind.RunCompleted], finished.Select(e => e.Kind));
        Assert.Equal(["draft", "publish"], finished.Where(e => e.Kind == FlowEventKind.StepCommitted).Select(e => e.Node));
    }
}
