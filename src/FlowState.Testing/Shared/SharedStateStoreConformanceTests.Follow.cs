using FlowState.Flows;
using Xunit;

namespace FlowState.Testing;

/// <summary>A run executed by one worker, followed step by step by another through the shared store's change feed.</summary>
public abstract partial class SharedStateStoreConformanceTests
{
    [Fact]
    public virtual async Task A_run_one_worker_executes_is_followed_step_by_step_by_another()
    {
        var worker = await OpenAsync();
        var watcher = await OpenAsync();

        // The follower reads the run's record when its enumeration starts (a round trip on a shared store); the run's
        // last step waits until the follower reported the start, so the run cannot complete before that read.
        var followerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var last = Node.Create("store", async (state, _) =>
        {
            await followerStarted.Task.WaitAsync(TimeSpan.FromMinutes(1));
            await state.UpdateAsync<List<string>>("trace", t => [.. t ?? [], "store"]);
            return null;
        });
        var flow = new FlowBuilder("followed-shared").Sequence(TraceStep("fetch"), TraceStep("parse"), last).Build();
        var events = FollowAsync(new FlowRunner(watcher).FollowAsync("shared-followed"), followerStarted);

        await new FlowRunner(worker, new FlowRunnerOptions { RetainCompletedRuns = true }).RunAsync(flow, options: new FlowRunOptions { RunId = "shared-followed" });
        var seen = await events.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(
            [FlowEventKind.RunStarted, FlowEventKind.StepCommitted, FlowEventKind.StepCommitted, FlowEventKind.StepCommitted, FlowEventKind.RunCompleted],
            seen.Select(e => e.Kind));
        Assert.Equal(["fetch", "parse", "store"], seen.Where(e => e.Kind == FlowEventKind.StepCommitted).Select(e => e.Node));
        Assert.Equal("""["fetch","parse","store"]""", seen[3].Changes!.Single(c => c.Key == "trace").NewValue);
        Assert.Null(seen[3].Changes!.Single(c => c.Key == "trace").OldValue);
    }

    [Fact]
    public virtual async Task A_run_with_its_steps_written_behind_has_every_step_on_the_server_when_it_returns()
    {
        var worker = await OpenAsync();
        var other = await OpenAsync();
        var flow = new FlowBuilder("behind-shared").Sequence(TraceStep("fetch"), TraceStep("parse"), TraceStep("store")).Build();

        await new FlowRunner(worker, new FlowRunnerOptions { RetainCompletedRuns = true })
            .RunAsync(flow, options: new FlowRunOptions { RunId = "shared-behind", Durability = FlowRunDurability.Async });

        var info = await new FlowRunner(other).GetRunAsync("shared-behind");
        Assert.Equal((FlowRunStatus.Completed, 3L), (info!.Status, info.Steps));
        Assert.Equal(["fetch", "parse", "store"], await other.For(StateScope.Workflow("shared-behind")).GetAsync<List<string>>("trace"));
    }

    private static async Task<List<FlowEvent>> FollowAsync(IAsyncEnumerable<FlowEvent> events, TaskCompletionSource started)
    {
        var seen = new List<FlowEvent>();
        try
        {
            await foreach (var e in events)
            {
                seen.Add(e);
                started.TrySetResult();
            }
        }
        finally
        {
            // Whatever ended the follow, the run must not wait for it.
            started.TrySetResult();
        }

        return seen;
    }

    private static Node<bool, bool> TraceStep(string name) => Node.Create(name, async (state, _) =>
    {
        await state.UpdateAsync<List<string>>("trace", t => [.. t ?? [], name]);
        return null;
    });
}
