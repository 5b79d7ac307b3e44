using FlowState.Flows;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// Per-run durability on a real SQLite file whose writes are held at a gate from the first step on: a run written
/// behind or at its end runs every step while nothing is written, and its end waits for them; a synchronous run's next
/// step waits for its step's write.
/// </summary>
public sealed class SqliteFlowRunDurabilityTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(FlowRunDurability.Async, false)]
    [InlineData(FlowRunDurability.Async, true)]
    [InlineData(FlowRunDurability.Exit, false)]
    [InlineData(FlowRunDurability.Exit, true)]
    public async Task A_run_not_waiting_for_its_steps_runs_them_all_before_anything_is_written_and_returns_once_they_are(FlowRunDurability durability, bool setOnRunner)
    {
        var path = _directory.File("behind.db");
        var backend = new HeldWritesBackend(new SqliteStateBackend(path));
        var execs = new StepCounter(4);
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend }))
        {
            var runner = new FlowRunner(store, new FlowRunnerOptions
            {
                RetainCompletedRuns = true,
                Durability = setOnRunner ? durability : FlowRunDurability.Sync,
            });
            var options = new FlowRunOptions { RunId = "behind", Durability = setOnRunner ? null : durability };

            var run = runner.RunAsync(Counting(execs, backend), new { n = 0 }, options);

            try
            {
                await execs.All.WaitAsync(Timeout); // every step ran while the backend had written none of them
                Assert.False(run.IsCompleted, "the run returned before its steps were written");
            }
            finally
            {
                // Closing the store waits for its queued writes: a failed check must not leave them held.
                backend.Release();
            }

            var result = await run.WaitAsync(Timeout);
            Assert.Equal(4, result.State["n"]!.GetValue<int>());
            if (durability == FlowRunDurability.Exit)
            {
                // The steps went to the backend in one batch at the end (with the end's record, or just before it),
                // where a Sync run writes five times: each of its four steps, then its end.
                Assert.InRange(backend.HeldWrites, 1, 2);
            }
        }

        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) });
        var record = await new FlowRunner(reopened).GetRunAsync("behind");
        Assert.Equal((FlowRunStatus.Completed, 4L), (record!.Status, record.Steps));
        Assert.Equal(4, await reopened.For(StateScope.Workflow("behind")).GetAsync<int>("n"));
    }

    [Fact]
    public async Task A_sync_run_s_next_step_waits_for_the_write_of_the_step_before()
    {
        var backend = new HeldWritesBackend(new SqliteStateBackend(_directory.File("sync.db")));
        var execs = new StepCounter(4);
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend });
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true });

        var run = runner.RunAsync(Counting(execs, backend), new { n = 0 }, new FlowRunOptions { RunId = "synced" });

        try
        {
            await backend.FirstHeld.WaitAsync(Timeout);
            Assert.Equal(1, execs.Count); // the first step's write is held, and the second step has not started
        }
        finally
        {
            backend.Release();
        }

        Assert.Equal(4, (await run.WaitAsync(Timeout)).State["n"]!.GetValue<int>());
        Assert.Equal(4, execs.Count);
        Assert.Equal(5, backend.HeldWrites);
    }

    /// <summary>Four steps counting into "n"; the first one's exec holds the backend's writes from then on.</summary>
    private static Flow Counting(StepCounter execs, HeldWritesBackend backend) => new FlowBuilder("counting").Sequence(
        Enumerable.Range(1, 4).Select(i => (FlowNode)Node.Create(
            $"step-{i}",
            prep: (_, _) => ValueTask.FromResult(i),
            exec: (value, _) =>
            {
                if (value == 1)
                {
                    backend.Hold();
                }

                execs.Ran();
                return ValueTask.FromResult(value);
            },
            post: async (state, _, _, _) =>
            {
                await state.UpdateAsync<int>("n", n => n + 1);
                return null;
            })).ToArray()).Build();
}
