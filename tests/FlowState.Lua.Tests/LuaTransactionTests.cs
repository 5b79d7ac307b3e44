using FlowState.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FlowState.Lua.Tests;

/// <summary>A script's writes commit as one batch at its end, or at each <c>State.commit()</c>; conflicts re-run it.</summary>
public sealed class LuaTransactionTests
{
    private readonly StateStore _store = new();

    private IStateStore Global => _store.For(StateScope.Global);

    [Fact]
    public async Task A_script_reads_its_own_writes_before_they_commit()
    {
        var result = await new LuaScriptHost(_store).RunAsync("""
            State.set("a", 1)
            State.delete("gone")
            return State.get("a"), State.exists("gone"), #State.list()
            """);

        Assert.Equal(["1", "false", "1"], result.Values.Select(v => v.GetRawText()));
        Assert.Equal(1, await Global.GetAsync<int>("a"));
        Assert.Equal(1, result.Attempts);
    }

    [Fact]
    public async Task A_failing_script_writes_nothing_however_much_it_wrote()
    {
        await Global.SetAsync("kept", "before");

        await Assert.ThrowsAsync<ScriptException>(() => new LuaScriptHost(_store).RunAsync("""
            for i = 1, 500 do State.set("k" .. i, i) end
            State.set("kept", "after")
            State.delete("kept")
            error("late failure")
            """));

        Assert.Equal(1, await Global.CountAsync());
        Assert.Equal("before", await Global.GetAsync<string>("kept"));
    }

    [Fact]
    public async Task State_commit_keeps_earlier_writes_when_a_later_part_fails()
    {
        var error = await Assert.ThrowsAsync<ScriptException>(() => new LuaScriptHost(_store).RunAsync("""
            State.set("step1", "done")
            local version = State.commit()
            assert(math.type(version) == "integer" and version > 0)
            State.set("step2", "done")
            error("step 2 failed")
            """));

        Assert.Contains("step 2 failed", error.LuaError, StringComparison.Ordinal);
        Assert.Equal("done", await Global.GetAsync<string>("step1"));
        Assert.False(await Global.ExistsAsync("step2"));
    }

    [Fact]
    public async Task A_conflicting_write_makes_the_script_run_again_on_fresh_state()
    {
        var host = new LuaScriptHost(_store, new LuaScriptOptions { Timeout = TimeSpan.FromSeconds(30), MaxInstructions = long.MaxValue });

        var run = await RunIntoAConflictAsync(host);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(201, await Global.GetAsync<int>("counter"));
        Assert.Equal(2, result.Attempts);
    }

    [Fact]
    public async Task A_conflicted_script_waits_on_the_given_clock_before_it_runs_again()
    {
        var clock = new TimerRecordingClock();
        var logger = new ConflictLogger();
        var host = new LuaScriptHost(_store, new LuaScriptOptions { Timeout = TimeSpan.FromSeconds(30), MaxInstructions = long.MaxValue, TimeProvider = clock }, logger);
        var run = await RunIntoAConflictAsync(host);

        await logger.Conflicted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await WaitUntilAsync(() => !clock.Timers.IsEmpty, "the wait before the second run");
        var waitedForTheClock = !run.IsCompleted;
        clock.Advance(TimeSpan.FromSeconds(1)); // past the longest wait (50 ms)
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(waitedForTheClock);
        var wait = Assert.Single(clock.Timers);
        Assert.InRange(wait, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2));
        Assert.Equal(2, result.Attempts);
        Assert.Equal(201, await Global.GetAsync<int>("counter"));
    }

    [Fact]
    public async Task A_conflict_after_an_explicit_commit_is_not_retried_and_keeps_the_committed_part()
    {
        var host = new LuaScriptHost(_store, new LuaScriptOptions { Timeout = TimeSpan.FromSeconds(30), MaxInstructions = long.MaxValue });
        await Global.SetAsync("counter", 1);
        var misses = _store.GetStatistics().Misses;
        var run = Task.Run(() => host.RunAsync("""
            State.set("started", true)
            State.commit()
            State.update("counter", function(v) return v + 1 end)
            while State.get("go") == nil do end
            """));

        // The script's first miss is its read of "go", after its commit and its update.
        await WaitUntilAsync(() => _store.GetStatistics().Misses > misses, "the script to poll \"go\"");
        await Global.SetAsync("counter", 50);
        await Global.SetAsync("go", true);

        await Assert.ThrowsAsync<StateConflictException>(() => run);
        Assert.Equal(50, await Global.GetAsync<int>("counter"));
        Assert.True(await Global.GetAsync<bool>("started"));
    }

    [Fact]
    public async Task Scripts_running_concurrently_lose_no_update()
    {
        const int Scripts = 8;
        const int Increments = 25;
        var host = new LuaScriptHost(_store, new LuaScriptOptions { MaxConflictRetries = 1000, Timeout = TimeSpan.FromSeconds(60) });
        using var start = new Barrier(Scripts);

        var results = await Task.WhenAll(Enumerable.Range(0, Scripts).Select(i => Task.Run(() =>
        {
            start.SignalAndWait();
            return host.RunAsync($$"""
                for i = 1, {{Increments}} do
                  State.update("counter", function(v) return (v or 0) + 1 end)
                end
                State.set("done:{{i}}", true)
                """);
        })));

        Assert.Equal(Scripts * Increments, await Global.GetAsync<int>("counter"));
        Assert.Equal(Scripts, await Global.ListKeysAsync("done:").CountAsync());
        Assert.All(results, r => Assert.True(r.Attempts >= 1));
    }

    [Fact]
    public async Task Script_writes_to_a_sqlite_store_survive_reopening_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"flowstate-lua-{Guid.NewGuid():N}.db");
        try
        {
            await using (var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path), Durability = Durability.Machine }))
            {
                await new LuaScriptHost(store).RunAsync("""State.set("profile", { name = "ada", langs = { "lua", "c#" } })""");
                await Assert.ThrowsAsync<ScriptException>(() => new LuaScriptHost(store).RunAsync("""State.set("lost", 1) error("no")"""));
            }

            await using (var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path) }))
            {
                var result = await new LuaScriptHost(reopened).RunAsync("""local p = State.get("profile") return p.name, p.langs[2], State.get("lost")""");

                Assert.Equal(["\"ada\"", "\"c#\"", "null"], result.Values.Select(v => v.GetRawText()));
            }
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(path) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>
    /// Starts a script that updates "counter" (100) and then polls "go", writes "counter" (200) under it and sets "go":
    /// the script's commit conflicts, so its first run never commits.
    /// </summary>
    private async Task<Task<LuaScriptResult>> RunIntoAConflictAsync(LuaScriptHost host)
    {
        await Global.SetAsync("counter", 100);
        var misses = _store.GetStatistics().Misses;
        var run = Task.Run(() => host.RunAsync("""
            State.update("counter", function(v) return (v or 0) + 1 end)
            while State.get("go") == nil do end
            """));

        // The script's first miss is its read of "go", which comes after its update: the other writer lands in between.
        await WaitUntilAsync(() => _store.GetStatistics().Misses > misses, "the script to poll \"go\"");
        await Global.SetAsync("counter", 200);
        await Global.SetAsync("go", true);
        return run;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            try
            {
                await Task.Delay(5, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"waited 60 s for {what}");
            }
        }
    }

    /// <summary>A fake clock that notes the due time of every timer made on it (a wait is a timer).</summary>
    private sealed class TimerRecordingClock : FakeTimeProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<TimeSpan> Timers { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Timers.Enqueue(dueTime); // after the timer exists, so an Advance the test makes on seeing it fires it
            return timer;
        }
    }

    /// <summary>Signals the first "conflicted, running again" record (event 300) of the host.</summary>
    private sealed class ConflictLogger : ILogger<LuaScriptHost>
    {
        public TaskCompletionSource Conflicted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 300)
            {
                Conflicted.TrySetResult();
            }
        }
    }
}
