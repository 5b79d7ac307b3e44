using FlowState.Flows;
using Xunit;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// Per-run durability on a real SQLite file whose writes are held at a gate: an asynchronous run's steps go on while
/// nothing is written, and its end waits for them; a synchronous run's next step waits for its step's write.
/// </summary>
public sealed class SqliteFlowRunDurabilityTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_async_run_runs_every_step_before_anything_is_written_and_returns_once_all_of_them_are(bool setOnRunner)
    {
        var path = _directory.File("async.db");
        var backend = new HeldWritesBackend(new SqliteStateBackend(path));
        var execs = new StepCounter(4);
        await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend }))
        {
            var runner = new FlowRunner(store, new FlowRunnerOptions
            {
                RetainCompletedRuns = true,
                Durability = setOnRunner ? FlowRunDurability.Async : FlowRunDurability.Sync,
            });
            var options = new FlowRunOptions { RunId = "behind", Durability = setOnRunner ? null : FlowRunDurability.Async };
            backend.Hold();

            var run = runner.RunAsync(Counting(execs), new { n = 0 }, options);

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
        }

        await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) });
        var record = await new FlowRunner(reopened).GetRunAsync("behind");
        Assert.Equal((FlowRunStatus.Completed, 4L), (record!.Status, record.Steps));
    }

    [Fact]
    public async Task A_sync_run_s_next_step_waits_for_the_write_of_the_step_before()
    {
        var backend = new HeldWritesBackend(new SqliteStateBackend(_directory.File("sync.db")));
        var execs = new StepCounter(4);
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend });
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true });
        backend.Hold();

        var run = runner.RunAsync(Counting(execs), new { n = 0 }, new FlowRunOptions { RunId = "synced" });

        try
        {
            await backend.FirstHeld.WaitAsync(Timeout);
            Assert.True(execs.Count <= 1, $"{execs.Count} steps ran while the first step's write was held");
        }
        finally
        {
            backend.Release();
        }

        Assert.Equal(4, (await run.WaitAsync(Timeout)).State["n"]!.GetValue<int>());
        Assert.Equal(4, execs.Count);
    }

    private static Flow Counting(StepCounter execs) => new FlowBuilder("counting").Sequence(
        Enumerable.Range(1, 4).Select(i => (FlowNode)Node.Create(
            $"step-{i}",
            prep: (_, _) => ValueTask.FromResult(i),
            exec: (value, _) =>
            {
                execs.Ran();
                return ValueTask.FromResult(value);
            },
            post: async (state, _, _, _) =>
            {
                await state.UpdateAsync<int>("n", n => n + 1);
                return null;
            })).ToArray()).Build();
}
