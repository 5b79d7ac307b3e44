using System.Collections.Concurrent;
using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Microsoft.Extensions.Time.Testing;

namespace FlowState.Tests.Streaming;

/// <summary>
/// Event-time watermarks (bounded out-of-orderness, idle sources), processing-time and event-time timers, and the
/// tumbling, sliding and session windows built on them: windows close while the pipeline runs, without another event of
/// their key, and timers travel with their keys through a savepoint into another partition count.
/// </summary>
public sealed class TimerAndWindowTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_tumbling_window_closes_when_the_watermark_passes_its_end_without_another_event_of_its_key()
    {
        var source = new GatedSource("events", [At("a", 1), At("a", 3), At("b", 12)]);
        var sink = new WaitingSink("out");
        await using var pipeline = new StreamPipelineBuilder("tumbling")
            .AddSource(source)
            .AddProcessor(WindowProcessor.Tumbling("windows", TimeSpan.FromSeconds(10)))
            .AddSink(sink)
            .Configure(o => o.Watermarks = new WatermarkOptions())
            .Build();
        using var stop = new CancellationTokenSource();
        var run = pipeline.RunAsync(stop.Token);

        source.Release(2);
        await PipelineProgress.WaitUntilProcessedAsync(pipeline, 2);
        var beforeTheEnd = sink.Messages.Count;
        source.Release(1);
        var closed = Assert.Single(await sink.WaitForAsync(1));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal(0, beforeTheEnd);
        Assert.Equal(new WindowResult("a", T0, T0.AddSeconds(10), 2), closed.GetValue<WindowResult>(System.Text.Json.JsonSerializerOptions.Web));
    }

    [Fact]
    public async Task Sliding_windows_count_an_event_in_every_window_it_falls_in_and_close_when_the_input_ends()
    {
        var sink = new WaitingSink("out");
        await using var pipeline = new StreamPipelineBuilder("sliding")
            .AddSource(new ListSource("events", [At("a", 1), At("a", 6), At("a", 11), At("b", 7)]))
            .AddProcessor(WindowProcessor.Sliding("windows", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)))
            .AddSink(sink)
            .WithPartitions(2)
            .Build();

        await pipeline.RunAsync();

        var windows = sink.Messages.Select(m => m.GetValue<WindowResult>(System.Text.Json.JsonSerializerOptions.Web)!).OrderBy(w => w.Key, StringComparer.Ordinal).ThenBy(w => w.Start).ToList();
        Assert.Equal(
            [
                Window("a", -5, 1), Window("a", 0, 2), Window("a", 5, 2), Window("a", 10, 1),
                Window("b", 0, 1), Window("b", 5, 1),
            ],
            windows);
    }

    [Fact]
    public async Task An_event_behind_the_watermark_is_late_dropped_and_counted_and_out_of_orderness_allows_for_it()
    {
        foreach (var (allowed, late) in new[] { (TimeSpan.Zero, 1L), (TimeSpan.FromSeconds(10), 0L) })
        {
            var source = new GatedSource("events", [At("a", 12), At("a", 3), At("a", 40)]);
            var sink = new WaitingSink("out");
            var windows = WindowProcessor.Tumbling("windows", TimeSpan.FromSeconds(10));
            await using var pipeline = new StreamPipelineBuilder("late")
                .AddSource(source)
                .AddProcessor(windows)
                .AddSink(sink)
                .Configure(o => o.Watermarks = new WatermarkOptions { MaxOutOfOrderness = allowed })
                .Build();
            using var stop = new CancellationTokenSource();
            var run = pipeline.RunAsync(stop.Token);
            foreach (var count in new[] { 1, 2, 3 })
            {
                source.Release(1);
                await PipelineProgress.WaitUntilProcessedAsync(pipeline, count);
            }

            var closed = await sink.WaitForAsync(late == 1 ? 1 : 2);
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

            Assert.Equal(late, windows.LateEvents);
            Assert.Equal(
                late == 1 ? [Window("a", 10, 1)] : [Window("a", 0, 1), Window("a", 10, 1)],
                closed.Select(m => m.GetValue<WindowResult>(System.Text.Json.JsonSerializerOptions.Web)!).OrderBy(w => w.Start));
        }
    }

    [Fact]
    public async Task An_idle_source_stops_holding_the_watermark_back_after_the_idle_timeout()
    {
        var clock = new FakeTimeProvider(T0);
        var busy = new GatedSource("busy", [At("a", 1), At("a", 15)]);
        var silent = new GatedSource("silent", [At("z", 0)]);
        var sink = new WaitingSink("out");
        await using var pipeline = new StreamPipelineBuilder("idle")
            .AddSource(busy)
            .AddSource(silent)
            .AddProcessor(WindowProcessor.Tumbling("windows", TimeSpan.FromSeconds(10)))
            .AddSink(sink)
            .Configure(o =>
            {
                o.TimeProvider = clock;
                o.Watermarks = new WatermarkOptions { IdleTimeout = TimeSpan.FromMinutes(1) };
            })
            .Build();
        using var stop = new CancellationTokenSource();
        var run = pipeline.RunAsync(stop.Token);

        busy.Release(2);
        await PipelineProgress.WaitUntilProcessedAsync(pipeline, 2);
        // The silent source has sent no watermark: event time stands still, so nothing closed yet.
        var whileHeldBack = sink.Messages.Count;
        clock.Advance(TimeSpan.FromMinutes(1));
        var closed = Assert.Single(await sink.WaitForAsync(1));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal(0, whileHeldBack);
        Assert.Equal(Window("a", 0, 1), closed.GetValue<WindowResult>(System.Text.Json.JsonSerializerOptions.Web));
    }

    [Fact]
    public async Task A_session_closes_when_the_watermark_passes_its_gap_without_another_event_of_its_key()
    {
        var source = new GatedSource("events", [At("a", 1), At("a", 3), At("b", 20)]);
        var sink = new WaitingSink("out");
        await using var pipeline = new StreamPipelineBuilder("sessions")
            .AddSource(source)
            .AddProcessor(new SessionWindowProcessor("sessions", TimeSpan.FromSeconds(5)))
            .AddSink(sink)
            .Configure(o => o.Watermarks = new WatermarkOptions())
            .Build();
        using var stop = new CancellationTokenSource();
        var run = pipeline.RunAsync(stop.Token);

        source.Release(3);
        var closed = Assert.Single(await sink.WaitForAsync(1));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal(new Session("a", T0.AddSeconds(1), T0.AddSeconds(3), 2), closed.GetValue<Session>(System.Text.Json.JsonSerializerOptions.Web));
    }

    [Fact]
    public async Task A_processing_time_timer_fires_when_the_clock_reaches_it_without_new_input()
    {
        var clock = new FakeTimeProvider(T0);
        var early = -1;
        var fired = await FiredRemindersAsync(clock, new ReminderProcessor(TimeSpan.FromMinutes(1)), async (pipeline, sink) =>
        {
            await PipelineProgress.WaitUntilProcessedAsync(pipeline, 2);
            early = sink.Messages.Count;
            clock.Advance(TimeSpan.FromMinutes(1));
        });

        Assert.Equal(0, early);
        Assert.Equal(["a", "b"], fired.Select(m => m.Key).Order(StringComparer.Ordinal));
        Assert.All(fired, m => Assert.Equal(T0.AddMinutes(1), m.Timestamp));
    }

    [Fact]
    public async Task A_processing_time_timer_fires_when_the_clock_passes_it_just_as_the_worker_starts_waiting()
    {
        // The clock moves a minute right after the worker has read it to start its wait for the timers, as a test clock
        // advanced by another thread can: the wait must not be counted from the moved clock.
        var clock = new ClockMovedAfterARead(new FakeTimeProvider(T0));
        var reminders = new ReminderProcessor(TimeSpan.FromMinutes(1), afterTimers: count =>
        {
            if (count == 2)
            {
                clock.MoveAfterTheNextRead(TimeSpan.FromMinutes(1));
            }
        });

        var fired = await FiredRemindersAsync(clock, reminders, (_, _) => Task.CompletedTask);

        Assert.Equal(["a", "b"], fired.Select(m => m.Key).Order(StringComparer.Ordinal));
        Assert.All(fired, m => Assert.Equal(T0.AddMinutes(1), m.Timestamp));
    }

    [Fact]
    public async Task A_timer_for_a_key_of_another_partition_is_refused_before_anything_is_written()
    {
        await using var store = new StateStore();
        var context = new ProcessorContext("p", "w", 0, 2, store.For(StateScope.Custom("w")), store.For(StateScope.Custom("runtime")));
        var foreign = Enumerable.Range(0, 100).Select(i => $"k{i}").First(k => !context.Owns(k));

        var error = await Assert.ThrowsAsync<StreamException>(async () => await context.Timers.RegisterEventTimeTimerAsync(foreign, T0));

        Assert.Contains($"timer for key '{foreign}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await store.CountAsync());
        Assert.Equal(0, context.Timers.Count);
    }

    [Theory]
    [InlineData(180)]
    [InlineData(300)]
    public async Task Windows_and_their_timers_restored_from_a_savepoint_into_four_partitions_end_like_an_uninterrupted_run(int input)
    {
        // 180: no input after the restore, so only timers read back from the savepoint can close the open windows.
        var events = Enumerable.Range(0, input).Select(i => At($"k{i % 7}", i * 0.37)).ToList();
        var expected = new WaitingSink("expected");
        await using (var whole = new StreamPipelineBuilder("whole").AddSource(new ListSource("events", events)).AddProcessor(WindowProcessor.Tumbling("windows", TimeSpan.FromSeconds(10))).AddSink(expected).Build())
        {
            await whole.RunAsync();
        }

        var source = new GatedSource("events", events);
        var first = new WaitingSink("out");
        await using (var pipeline = Windowed(source, first, 2, "checkpoints-a"))
        {
            using var stop = new CancellationTokenSource();
            var run = pipeline.RunAsync(stop.Token);
            source.Release(180);
            await PipelineProgress.WaitUntilProcessedAsync(pipeline, 180);
            await pipeline.CreateSavepointAsync(new DirectoryCheckpointStorage(_directory.File("savepoint")));
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        }

        var rest = new WaitingSink("out");
        await using var restored = Windowed(new ListSource("events", events), rest, 4, "checkpoints-b");
        await restored.RestoreSavepointAsync(new DirectoryCheckpointStorage(_directory.File("savepoint")));
        await restored.RunAsync();

        // Windows closed before the savepoint went out of the first run; the rest (with their timers) out of the second.
        Assert.NotEmpty(first.Messages);
        Assert.NotEmpty(rest.Messages);
        Assert.Equal(Results(expected), Results(first).Concat(Results(rest)).Order().ToList());
    }

    private StreamPipeline Windowed(ISource source, ISink sink, int partitions, string checkpoints) =>
        new StreamPipelineBuilder("windowed")
            .AddSource(source)
            .AddProcessor(WindowProcessor.Tumbling("windows", TimeSpan.FromSeconds(10)))
            .AddSink(sink)
            .WithPartitions(partitions)
            .WithCheckpoints(new DirectoryCheckpointStorage(_directory.File(checkpoints)))
            .Configure(o => o.Watermarks = new WatermarkOptions())
            .Build();

    private static List<string> Results(WaitingSink sink) =>
        [.. sink.Messages.Select(m => m.GetValue<WindowResult>(System.Text.Json.JsonSerializerOptions.Web)!).Select(w => $"{w.Key} {w.Start:O} {w.Events}").Order()];

    private static StreamMessage At(string key, double seconds) =>
        StreamMessage.Create(key, new { key, seconds }, id: $"{key}@{seconds}", timestamp: T0.AddSeconds(seconds));

    private static WindowResult Window(string key, int startSeconds, long events) =>
        new(key, T0.AddSeconds(startSeconds), T0.AddSeconds(startSeconds + 10), events);

    /// <summary>
    /// Runs <paramref name="reminders"/> on <paramref name="clock"/> over two messages (keys a and b, released at once),
    /// lets <paramref name="afterRelease"/> move things on, and returns the first two messages the timers fired.
    /// </summary>
    private static async Task<List<StreamMessage>> FiredRemindersAsync(TimeProvider clock, ReminderProcessor reminders, Func<StreamPipeline, WaitingSink, Task> afterRelease)
    {
        var source = new GatedSource("events", [At("a", 0), At("b", 0)]);
        var sink = new WaitingSink("out");
        await using var pipeline = new StreamPipelineBuilder("reminders")
            .AddSource(source)
            .AddProcessor(reminders)
            .AddSink(sink)
            .Configure(o => o.TimeProvider = clock)
            .Build();
        using var stop = new CancellationTokenSource();
        var run = pipeline.RunAsync(stop.Token);

        source.Release(2);
        await afterRelease(pipeline, sink);
        var fired = await sink.WaitForAsync(2);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        return fired;
    }

    /// <summary>
    /// Registers a processing-time timer per key <paramref name="after"/> it is seen, and emits the key when it fires;
    /// <paramref name="afterTimers"/> is told how many timers it has registered so far.
    /// </summary>
    private sealed class ReminderProcessor(TimeSpan after, Action<int>? afterTimers = null) : IProcessor
    {
        private int _set;

        public string Name => "reminders";

        public async ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
        {
            foreach (var message in messages)
            {
                await context.Timers.RegisterProcessingTimeTimerAsync(message.Key!, context.Timers.CurrentProcessingTime + after, cancellationToken);
                afterTimers?.Invoke(++_set);
            }

            return [];
        }

        public ValueTask<IReadOnlyList<StreamMessage>> OnTimerAsync(StreamTimer timer, ProcessorContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<StreamMessage>>([StreamMessage.Create(timer.Key, timer.Domain.ToString(), timestamp: timer.Time)]);
    }

    /// <summary>A fake clock that, once asked, moves forward right after the next time it is read (returning the time before).</summary>
    private sealed class ClockMovedAfterARead(FakeTimeProvider clock) : TimeProvider
    {
        private long _move;

        public void MoveAfterTheNextRead(TimeSpan by) => Interlocked.Exchange(ref _move, by.Ticks);

        public override DateTimeOffset GetUtcNow()
        {
            var now = clock.GetUtcNow();
            if (Interlocked.Exchange(ref _move, 0) is var move and not 0)
            {
                clock.Advance(TimeSpan.FromTicks(move));
            }

            return now;
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => clock.CreateTimer(callback, state, dueTime, period);
    }

    /// <summary>A sink a test can wait on until it has been given a number of messages.</summary>
    private sealed class WaitingSink(string name) : ISink
    {
        private readonly Lock _lock = new();
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];

        public string Name { get; } = name;

        public ConcurrentQueue<StreamMessage> Messages { get; } = new();

        public async Task<List<StreamMessage>> WaitForAsync(int count)
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                if (Messages.Count >= count)
                {
                    return [.. Messages];
                }

                _waiters.Add((count, reached));
            }

            await reached.Task.WaitAsync(TimeSpan.FromMinutes(1));
            return [.. Messages];
        }

        public ValueTask WriteAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                foreach (var message in messages)
                {
                    Messages.Enqueue(message);
                }

                foreach (var waiter in _waiters.Where(w => Messages.Count >= w.Count).ToList())
                {
                    waiter.Reached.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
