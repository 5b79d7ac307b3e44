using System.Collections.Concurrent;
using FlowState.Flows;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace FlowState.Tests.Flows;

public sealed class NodeRetryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Exponential_backoff_waits_one_two_and_four_seconds_on_the_runs_clock()
    {
        var clock = new WaitWatchingClock();
        var node = Node.Create<bool, bool>(
            "slow",
            prep: null,
            exec: (_, context) => context.Attempt < 4 ? throw new InvalidOperationException("again") : ValueTask.FromResult(true),
            maxRetries: 3,
            retryDelay: TimeSpan.FromSeconds(1),
            retryBackoff: DelayBackoffType.Exponential);

        var waits = await RunAdvancingClockAsync(clock, node, retries: 3);

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], waits);
    }

    [Fact]
    public async Task Jitter_spreads_the_waits_of_exponential_backoff()
    {
        var clock = new WaitWatchingClock();
        var node = new FailingNode("jittery", failures: 3)
        {
            MaxRetries = 3,
            RetryDelay = TimeSpan.FromSeconds(1),
            RetryBackoff = DelayBackoffType.Exponential,
            RetryJitter = true,
        };

        var waits = await RunAdvancingClockAsync(clock, node, retries: 3);

        Assert.All(waits, wait => Assert.True(wait > TimeSpan.Zero, wait.ToString()));
        Assert.NotEqual([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], waits);
    }

    [Fact]
    public async Task A_failure_RetryOn_rejects_goes_to_the_fallback_without_retrying()
    {
        await using var store = new StateStore();
        var attempts = 0;
        var node = new FailingNode("picky", failures: 10, error: () => new ArgumentException("bad input"), onAttempt: () => Interlocked.Increment(ref attempts))
        {
            MaxRetries = 5,
            RetryOn = ex => ex is TimeoutException,
        };

        var result = await new FlowRunner(store).RunAsync(new FlowBuilder("f").Add(node).Build());

        Assert.Equal(1, attempts);
        Assert.Equal("fallback after attempt 1: bad input", result.State["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_failure_RetryOn_accepts_is_retried_and_each_retry_is_a_run_event()
    {
        await using var store = new StateStore();
        var node = new FailingNode("flaky", failures: 2, error: () => new TimeoutException("slow service"))
        {
            MaxRetries = 5,
            RetryOn = ex => ex is TimeoutException,
        };
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true });
        var flow = new FlowBuilder("f").Add(node).Build();

        var events = new List<FlowEvent>();
        await foreach (var e in runner.StreamAsync(flow, options: new FlowRunOptions { RunId = "flaky-run" }))
        {
            events.Add(e);
        }

        var retries = events.Where(e => e.Kind == FlowEventKind.StepRetrying).ToList();
        Assert.Equal([1, 2], retries.Select(e => e.Attempt));
        Assert.All(retries, e => Assert.Contains("slow service", e.Error, StringComparison.Ordinal));
        Assert.Equal("succeeded on attempt 3", (await store.For(StateScope.Workflow("flaky-run")).GetAsync<string>("outcome")));
    }

    private static async Task<List<TimeSpan>> RunAdvancingClockAsync(WaitWatchingClock clock, FlowNode node, int retries)
    {
        await using var store = new StateStore(new StateStoreOptions { TimeProvider = clock });
        var run = new FlowRunner(store).RunAsync(new FlowBuilder("f").Add(node).Build());
        var waits = new List<TimeSpan>();
        for (var i = 0; i < retries; i++)
        {
            // The wait Polly scheduled, once it is scheduled: then exactly that much time passes.
            var wait = await clock.NextWaitAsync(Patience);
            waits.Add(wait);
            clock.Advance(wait);
        }

        await run.WaitAsync(Patience);
        return waits;
    }

    /// <summary>A fake clock that reports every one-shot timer (a retry's wait) as it is created.</summary>
    private sealed class WaitWatchingClock : FakeTimeProvider
    {
        private readonly BlockingCollection<TimeSpan> _waits = [];

        public WaitWatchingClock()
            : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
        {
        }

        public Task<TimeSpan> NextWaitAsync(TimeSpan patience) =>
            Task.Run(() => _waits.TryTake(out var wait, patience) ? wait : throw new TimeoutException("No retry wait was scheduled."));

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            if (period == Timeout.InfiniteTimeSpan && dueTime != Timeout.InfiniteTimeSpan)
            {
                _waits.Add(dueTime);
            }

            return timer;
        }
    }

    private sealed class FailingNode(string name, int failures, Func<Exception>? error = null, Action? onAttempt = null) : Node<bool, string>(name)
    {
        protected internal override ValueTask<string> ExecAsync(bool prep, ExecContext context, CancellationToken cancellationToken)
        {
            onAttempt?.Invoke();
            return context.Attempt <= failures
                ? throw (error?.Invoke() ?? new InvalidOperationException("again"))
                : ValueTask.FromResult($"succeeded on attempt {context.Attempt}");
        }

        protected internal override ValueTask<string> ExecFallbackAsync(bool prep, Exception exception, ExecContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult($"fallback after attempt {context.Attempt}: {exception.Message}");

        protected internal override async ValueTask<string?> PostAsync(IStateStore state, bool prep, string exec, PostContext context, CancellationToken cancellationToken)
        {
            await state.SetAsync("outcome", exec, cancellationToken: cancellationToken);
            return null;
        }
    }
}
