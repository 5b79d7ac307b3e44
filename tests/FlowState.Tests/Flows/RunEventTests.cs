using FlowState.Flows;
using Microsoft.Extensions.Time.Testing;

namespace FlowState.Tests.Flows;

public sealed class RunEventTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Concurrent_publishers_reach_every_watcher_in_one_numbered_order_past_full_buffers()
    {
        const int Publishers = 4;
        const int EventsEach = 50;
        var stream = new RunEventStream("run-1", capacity: 1);
        var slow = stream.Subscribe();
        var fast = stream.Subscribe();
        // One watcher yields before each read, so publishers find its one-event buffer full and wait for it.
        var readSlowly = ReadAllAsync(slow, yieldFirst: true);
        var readFast = ReadAllAsync(fast, yieldFirst: false);

        await Task.WhenAll(Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < EventsEach; i++)
            {
                await stream.PublishAsync(Event(FlowEventKind.StepCommitted, $"p{p}", i), CancellationToken.None);
            }
        }))).WaitAsync(Wait);
        await stream.PublishAsync(Event(FlowEventKind.RunCompleted, null, 0), CancellationToken.None).AsTask().WaitAsync(Wait);

        var slowEvents = await readSlowly.WaitAsync(Wait);
        var fastEvents = await readFast.WaitAsync(Wait);
        Assert.Equal((Publishers * EventsEach) + 1, slowEvents.Count);
        Assert.Equal(slowEvents, fastEvents);
        Assert.Equal(Enumerable.Range(1, slowEvents.Count).Select(i => (long)i), slowEvents.Select(e => e.Sequence));
        Assert.Equal(FlowEventKind.RunCompleted, slowEvents[^1].Kind);
        for (var p = 0; p < Publishers; p++)
        {
            // Each publisher's events in the order it published them.
            Assert.Equal(Enumerable.Range(0, EventsEach), slowEvents.Where(e => e.Node == $"p{p}").Select(e => e.StepIndex!.Value));
        }
    }

    [Fact]
    public async Task A_watcher_leaving_while_the_run_waits_for_it_lets_the_run_go_on_to_the_others()
    {
        var stream = new RunEventStream("run-2", capacity: 1);
        var stuck = stream.Subscribe();
        var reading = stream.Subscribe();
        var read = ReadAllAsync(reading, yieldFirst: false);

        await stream.PublishAsync(Event(FlowEventKind.StepStarted, "a", 0), CancellationToken.None);
        var waiting = stream.PublishAsync(Event(FlowEventKind.StepCommitted, "a", 0), CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted, "the second event waits for room in the unread watcher's buffer");

        Assert.True(stream.Unsubscribe(stuck));
        await waiting.WaitAsync(Wait);
        await stream.PublishAsync(Event(FlowEventKind.RunCompleted, null, 0), CancellationToken.None).AsTask().WaitAsync(Wait);

        var events = await read.WaitAsync(Wait);
        Assert.Equal([FlowEventKind.StepStarted, FlowEventKind.StepCommitted, FlowEventKind.RunCompleted], events.Select(e => e.Kind));
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_publisher_cancelled_while_waiting_for_its_turn_publishes_nothing_and_leaves_the_turn_to_the_others()
    {
        var stream = new RunEventStream("run-3", capacity: 1);
        var watcher = stream.Subscribe();
        await stream.PublishAsync(Event(FlowEventKind.StepStarted, "a", 0), CancellationToken.None);
        // Holds the turn while it waits for room in the unread watcher's one-event buffer.
        var holding = stream.PublishAsync(Event(FlowEventKind.StepCommitted, "a", 0), CancellationToken.None).AsTask();
        using var cancel = new CancellationTokenSource();
        var cancelled = stream.PublishAsync(Event(FlowEventKind.StepStarted, "cancelled", 1), cancel.Token).AsTask();
        var queued = stream.PublishAsync(Event(FlowEventKind.StepStarted, "b", 1), CancellationToken.None).AsTask();
        Assert.False(cancelled.IsCompleted, "the second publisher waits for the first one's turn");

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Wait));
        Assert.False(holding.IsCompleted, "the holder still waits for room");

        var read = ReadAllAsync(watcher, yieldFirst: false);
        await Task.WhenAll(holding, queued).WaitAsync(Wait);
        await stream.PublishAsync(Event(FlowEventKind.RunCompleted, null, 0), CancellationToken.None).AsTask().WaitAsync(Wait);

        var events = await read.WaitAsync(Wait);
        Assert.Equal(["a", "a", "b", null], events.Select(e => e.Node));
        Assert.Equal([1L, 2L, 3L, 4L], events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_step_s_events_are_stamped_by_the_store_s_clock_and_its_commit_after_the_step_s_time()
    {
        var started = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(started);
        await using var store = new StateStore(new StateStoreOptions { TimeProvider = clock });
        var flow = new FlowBuilder("clocked").Add(Node.Create("slow", (_, _) =>
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            return ValueTask.FromResult<string?>(null);
        })).Build();

        var events = new List<FlowEvent>();
        await foreach (var flowEvent in new FlowRunner(store).StreamAsync(flow))
        {
            events.Add(flowEvent);
        }

        var step = events.Single(e => e.Kind == FlowEventKind.StepStarted);
        var committed = events.Single(e => e.Kind == FlowEventKind.StepCommitted);
        Assert.Equal(started, step.Timestamp);
        Assert.Equal(TimeSpan.FromSeconds(5), committed.Duration);
        Assert.Equal(started.AddSeconds(5), committed.Timestamp);
        Assert.Equal(started.AddSeconds(5), events[^1].Timestamp);
    }

    [Fact]
    public async Task Later_steps_are_stamped_by_the_time_passed_since_the_run_s_first_step()
    {
        var started = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(started);
        await using var store = new StateStore(new StateStoreOptions { TimeProvider = clock });
        FlowNode Taking(string name, int seconds) => Node.Create(name, (_, _) =>
        {
            clock.Advance(TimeSpan.FromSeconds(seconds));
            return ValueTask.FromResult<string?>(null);
        });
        var flow = new FlowBuilder("clocked").Sequence([Taking("a", 5), Taking("b", 7), Taking("c", 0)]).Build();

        var events = new List<FlowEvent>();
        await foreach (var flowEvent in new FlowRunner(store).StreamAsync(flow))
        {
            events.Add(flowEvent);
        }

        var steps = events.Where(e => e.Kind is FlowEventKind.StepStarted or FlowEventKind.StepCommitted).Select(e => (e.Kind, e.Node, e.Timestamp - started, e.Duration));
        Assert.Equal(
            [
                (FlowEventKind.StepStarted, "a", TimeSpan.Zero, null),
                (FlowEventKind.StepCommitted, "a", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)),
                (FlowEventKind.StepStarted, "b", TimeSpan.FromSeconds(5), null),
                (FlowEventKind.StepCommitted, "b", TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(7)),
                (FlowEventKind.StepStarted, "c", TimeSpan.FromSeconds(12), null),
                (FlowEventKind.StepCommitted, "c", TimeSpan.FromSeconds(12), TimeSpan.Zero),
            ],
            steps);
    }

    [Fact]
    public async Task A_run_s_events_stay_in_time_order_when_the_wall_clock_is_set_back_during_the_run()
    {
        var started = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
        var clock = new WallClockSetBack(started);
        await using var store = new StateStore(new StateStoreOptions { TimeProvider = clock });
        var flow = new FlowBuilder("clocked").Sequence(
        [
            Node.Create("a", (_, _) =>
            {
                clock.Advance(TimeSpan.FromSeconds(5));
                return ValueTask.FromResult<string?>(null);
            }),
            Node.Create("b", (_, _) =>
            {
                clock.SetWallClockBack(TimeSpan.FromHours(1));
                clock.Advance(TimeSpan.FromSeconds(7));
                return ValueTask.FromResult<string?>(null);
            }),
        ]).Build();

        var events = new List<FlowEvent>();
        await foreach (var flowEvent in new FlowRunner(store).StreamAsync(flow))
        {
            events.Add(flowEvent);
        }

        Assert.Equal(FlowEventKind.RunStarted, events[0].Kind);
        Assert.Equal(FlowEventKind.RunCompleted, events[^1].Kind);
        Assert.Equal(started, events[0].Timestamp);
        Assert.Equal(started.AddSeconds(12), events[^1].Timestamp);
        Assert.Equal(events.Select(e => e.Timestamp).Order(), events.Select(e => e.Timestamp));
    }

    private static FlowEvent Event(FlowEventKind kind, string? node, int index) =>
        new() { Kind = kind, RunId = "run", Flow = "flow", Timestamp = DateTimeOffset.UnixEpoch, Node = node, StepIndex = index };

    private static async Task<List<FlowEvent>> ReadAllAsync(RunEventBuffer watcher, bool yieldFirst)
    {
        var events = new List<FlowEvent>();
        while (true)
        {
            if (yieldFirst)
            {
                await Task.Yield();
            }

            if (!await watcher.ReadAsync(CancellationToken.None))
            {
                return events;
            }

            events.Add(watcher.Current);
        }
    }

    /// <summary>A clock whose timestamps only advance and whose wall-clock time can be set back, as an NTP step does.</summary>
    private sealed class WallClockSetBack(DateTimeOffset start) : TimeProvider
    {
        private readonly Lock _lock = new();
        private DateTimeOffset _wall = start;
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override DateTimeOffset GetUtcNow()
        {
            lock (_lock)
            {
                return _wall;
            }
        }

        public override long GetTimestamp()
        {
            lock (_lock)
            {
                return _ticks;
            }
        }

        public void Advance(TimeSpan by)
        {
            lock (_lock)
            {
                _wall += by;
                _ticks += by.Ticks;
            }
        }

        public void SetWallClockBack(TimeSpan by)
        {
            lock (_lock)
            {
                _wall -= by;
            }
        }
    }
}
