using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// A run's events (<see cref="FlowRunner.StreamAsync"/>, <see cref="FlowRunner.WatchAsync"/>): every one, in order,
/// numbered without gaps, for a slow watcher too; steps with their changes, retries, failures, interrupts and
/// cancellation.
/// </summary>
public abstract partial class FlowRunConformanceTests
{
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Streamed_run_reports_each_step_in_order_with_the_keys_it_wrote()
    {
        var flow = new FlowBuilder("events").Sequence(Add("first", "n", 1), Add("second", "n", 10), Trace("third")).Build();
        await using var store = NewStore();

        var events = await ToListAsync(NewRunner(store).StreamAsync(flow, new { n = 5 }, new FlowRunOptions { RunId = "events-1" }));

        Assert.Equal(
            [FlowEventKind.RunStarted, FlowEventKind.StepStarted, FlowEventKind.StepCommitted, FlowEventKind.StepStarted, FlowEventKind.StepCommitted,
                FlowEventKind.StepStarted, FlowEventKind.StepCommitted, FlowEventKind.RunCompleted],
            events.Select(e => e.Kind));
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal("events-1", e.RunId));
        Assert.All(events, e => Assert.Equal("events", e.Flow));
        var committed = events.Where(e => e.Kind == FlowEventKind.StepCommitted).ToList();
        Assert.Equal(["first", "second", "third"], committed.Select(e => e.Node));
        Assert.Equal([0, 1, 2], committed.Select(e => e.StepIndex ?? -1));
        var first = Assert.Single(committed[0].Changes!);
        Assert.Equal(("n", "5", "6"), (first.Key, first.OldValue, first.NewValue));
        Assert.Equal(StateScope.Workflow("events-1").Path, first.Scope);
        var second = Assert.Single(committed[1].Changes!);
        Assert.Equal(("6", "16"), (second.OldValue, second.NewValue));
        var trace = Assert.Single(committed[2].Changes!);
        Assert.Equal((null, """["third"]""", 0), (trace.OldValue, trace.NewValue, trace.OldSize));
        Assert.All(committed, e => Assert.NotNull(e.Duration));
        var completed = events[^1];
        Assert.True(completed.IsFinal);
        Assert.Equal(16, completed.Result!.State["n"]!.GetValue<int>());
        Assert.Equal(3, completed.Steps);
    }

    [Fact]
    public async Task Values_past_the_event_limit_are_given_by_their_size()
    {
        var big = new string('x', 100);
        var flow = new FlowBuilder("big-values").Add(Node.Create("write", async (state, _) =>
        {
            await state.SetAsync("big", big);
            await state.SetAsync("small", 1);
            return null;
        })).Build();
        await using var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = RunnerOptions.RecordProgress, EventValueLimit = 50 });

        var events = await ToListAsync(runner.StreamAsync(flow));

        var changes = events.Single(e => e.Kind == FlowEventKind.StepCommitted).Changes!.ToDictionary(c => c.Key);
        Assert.Null(changes["big"].NewValue);
        Assert.Equal(102, changes["big"].NewSize);
        Assert.Equal("1", changes["small"].NewValue);
    }

    [Fact]
    public async Task A_deleted_key_is_reported_with_its_value_before_and_none_after()
    {
        var flow = new FlowBuilder("deleting").Add(Node.Create("delete", async (state, _) =>
        {
            await state.DeleteAsync("gone");
            return null;
        })).Build();
        await using var store = NewStore();

        var events = await ToListAsync(NewRunner(store).StreamAsync(flow, new { gone = "before" }, new FlowRunOptions { RunId = "deleting-1" }));

        var change = Assert.Single(events.Single(e => e.Kind == FlowEventKind.StepCommitted).Changes!);
        Assert.True(change.Deleted);
        Assert.Null(change.NewValue);
        // The same change as one built from its text: the runtime's changes decode their stored values when read.
        Assert.Equal(new FlowKeyChange(StateScope.Workflow("deleting-1").Path, "gone", "\"before\"", null, 8, 0), change);
    }

    [Fact]
    public async Task A_slow_watcher_gets_every_event_and_the_run_waits_for_it()
    {
        const int Capacity = 2;
        var executed = 0;
        var flow = new FlowBuilder("slow-watcher")
            .Add(Node.Create<int, int>(
                "spin",
                prep: (_, _) => ValueTask.FromResult(0),
                exec: (_, _) => ValueTask.FromResult(Interlocked.Increment(ref executed)),
                post: (_, _, count, _) => ValueTask.FromResult<string?>(count < 40 ? "again" : null)))
            .Connect("spin", "spin", "again")
            .WithMaxSteps(100)
            .Build();
        await using var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = RunnerOptions.RecordProgress, EventBufferCapacity = Capacity });

        var read = new List<FlowEvent>();
        await foreach (var flowEvent in runner.StreamAsync(flow).WithCancellation(CancellationToken.None))
        {
            // A step publishes its start before exec and its commit after: with every earlier event read but at most
            // the buffer's worth, the run cannot be more than a step or two ahead of this reader.
            var stepsRead = read.Count(e => e.Kind == FlowEventKind.StepStarted);
            Assert.True(Volatile.Read(ref executed) <= stepsRead + Capacity + 1, $"{Volatile.Read(ref executed)} steps ran with {stepsRead} step starts read");
            read.Add(flowEvent);
        }

        Assert.Equal(1 + (40 * 2) + 1, read.Count);
        Assert.Equal(Enumerable.Range(1, read.Count).Select(i => (long)i), read.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Retries_failures_and_the_failed_run_are_reported_without_throwing()
    {
        var attempts = 0;
        var flaky = Node.Create<int, int>(
            "flaky",
            prep: null,
            exec: (_, _) => Interlocked.Increment(ref attempts) < 3 ? throw new InvalidOperationException("not yet") : ValueTask.FromResult(1),
            maxRetries: 5);
        var broken = Node.Create<int, int>("broken", prep: null, exec: (_, _) => throw new InvalidOperationException("exploded"));
        var flow = new FlowBuilder("failing").Sequence(flaky, broken).Build();
        await using var store = NewStore();

        var events = await ToListAsync(NewRunner(store).StreamAsync(flow));

        Assert.Equal([1, 2], events.Where(e => e.Kind == FlowEventKind.StepRetrying).Select(e => e.Attempt ?? 0));
        Assert.All(events.Where(e => e.Kind == FlowEventKind.StepRetrying), e => Assert.Equal(("flaky", "not yet"), (e.Node, e.Error)));
        var failed = Assert.Single(events, e => e.Kind == FlowEventKind.StepFailed);
        Assert.Equal("broken", failed.Node);
        Assert.Contains("exploded", failed.Error, StringComparison.Ordinal);
        var last = events[^1];
        Assert.Equal(FlowEventKind.RunFailed, last.Kind);
        Assert.Contains("exploded", last.Error, StringComparison.Ordinal);
        Assert.Equal(1, last.Steps);
    }

    [Fact]
    public async Task An_interrupt_is_reported_with_its_question_and_the_run_s_state()
    {
        var flow = new FlowBuilder("asking").Sequence(
            Add("count", "n", 1),
            Node.Create("ask", (_, context) =>
            {
                context.Interrupt("approve?");
                return ValueTask.FromResult<string?>(null);
            })).Build();
        await using var store = NewStore();

        // An interrupted run waits to be resumed, which takes recorded progress.
        var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = true });

        var events = await ToListAsync(runner.StreamAsync(flow, new { n = 1 }));

        var last = events[^1];
        Assert.Equal(FlowEventKind.RunInterrupted, last.Kind);
        Assert.Equal(("ask", "approve?"), (last.Node, last.Question));
        Assert.Equal(FlowRunStatus.Interrupted, last.Result!.Status);
        Assert.Equal(2, last.Result.State["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_cancelled_run_ends_its_stream_with_the_cancellation()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flow = new FlowBuilder("cancelled").Add(Node.Create<int, int>("wait", prep: null, exec: async (_, context) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return 0;
        })).Build();
        await using var store = NewStore();
        using var cancel = new CancellationTokenSource();

        var stream = ToListAsync(NewRunner(store).StreamAsync(flow, cancellationToken: cancel.Token));
        await started.Task.WaitAsync(EventWait);
        await cancel.CancelAsync();
        var events = await stream.WaitAsync(EventWait);

        Assert.Equal(FlowEventKind.RunCancelled, events[^1].Kind);
        Assert.DoesNotContain(events, e => e.Kind == FlowEventKind.StepCommitted);
    }

    [Fact]
    public async Task A_watcher_follows_a_run_by_id_and_parallel_branches_keep_one_order()
    {
        static Flow Branch(string name) => new FlowBuilder(name).Sequence(Add(name + "-1", "total", 1), Add(name + "-2", "total", 10)).Build();
        var flow = new FlowBuilder("watched").Add(new ParallelNode("fan-out", Branch("a"), Branch("b"), Branch("c"))).Build();
        await using var store = NewStore();
        var runner = NewRunner(store);

        var watching = ToListAsync(runner.WatchAsync("watched-1"));
        var result = await runner.RunAsync(flow, new { total = 0 }, new FlowRunOptions { RunId = "watched-1" });
        var events = await watching.WaitAsync(EventWait);

        Assert.Equal(33, result.State["total"]!.GetValue<int>());
        Assert.Equal(FlowEventKind.RunStarted, events[0].Kind);
        Assert.Equal(FlowEventKind.RunCompleted, events[^1].Kind);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        foreach (var branch in new[] { "a", "b", "c" })
        {
            // Each branch's steps in its own order, interleaved with the others'.
            var own = events.Where(e => e.Kind == FlowEventKind.StepCommitted && e.Node!.StartsWith(branch + "-", StringComparison.Ordinal)).Select(e => e.Node).ToList();
            Assert.Equal([branch + "-1", branch + "-2"], own);
        }

        Assert.Equal(7, events.Count(e => e.Kind == FlowEventKind.StepCommitted));
    }

    [Fact]
    public async Task A_run_that_cannot_start_throws_from_its_stream()
    {
        var flow = new FlowBuilder("twice").Add(Trace("only")).Build();
        await using var store = NewStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = true, RetainCompletedRuns = true });
        await runner.RunAsync(flow, options: new FlowRunOptions { RunId = "taken" });

        await Assert.ThrowsAsync<FlowException>(() => ToListAsync(runner.StreamAsync(flow, options: new FlowRunOptions { RunId = "taken" })));
    }
}
