using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Globalization;
using FlowState.Benchmarks.Durable;
using FlowState.Flows;
using FlowState.RocksDb;
using FlowState.Sqlite;

namespace FlowState.Benchmarks.Flows;

/// <summary>
/// Durable steps per second of a 10-node flow on SQLite, each node's post writing one field and committing it with
/// the run's progress (a checkpoint per step), with 1 run at a time and with 16 concurrent runs; paired, sample by
/// sample, with raw SQLite (one upsert per transaction at the same synchronous level) and, at Machine, the raw fsync
/// rate; then the same runs with every run event read by a watcher against none (<c>--events</c>: only those); then
/// the same runs with their steps written behind (<see cref="FlowRunDurability.Async"/>) and at each run's end
/// (<see cref="FlowRunDurability.Exit"/>) against each step durable before the next (<c>--durability</c>: only those).
/// <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- flows [--quick] [--events | --durability] [--dir path]</c>.
/// </summary>
internal static class DurableFlowBenchmarks
{
    private const int Nodes = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var root = ChildProcess.HarnessDirectory(args, "flows");
        var repetitions = quick ? 3 : 5;
        var rows = new List<string>();
        var eventsOnly = args.Contains("--events");
        var durabilityOnly = args.Contains("--durability");
        foreach (var durability in eventsOnly || durabilityOnly ? [] : new[] { Durability.Machine, Durability.Process })
        {
            foreach (var concurrentRuns in new[] { 1, 16 })
            {
                var runsPerSample = RunsPerSample(durability, concurrentRuns, quick);
                var steps = new List<double>();
                var raw = new List<double>();
                var fsync = new List<double>();
                for (var i = 0; i < repetitions; i++)
                {
                    var rawOps = Math.Min(runsPerSample * Nodes, 2000);
                    raw.Add(1e6 / DurableBenchmarks.RawSqlite(root, rawOps, durability == Durability.Machine ? "FULL" : "NORMAL"));
                    fsync.Add(1e6 / DurableBenchmarks.RawFsync(root, Math.Min(rawOps, 500)));
                    steps.Add(await StepsPerSecondAsync(root, durability, concurrentRuns, runsPerSample));
                }

                var vsRaw = new Measurement("×", steps.Zip(raw, (s, r) => s / r).ToList());
                var vsFsync = new Measurement("×", steps.Zip(fsync, (s, f) => s / f).ToList());
                rows.Add(
                    $"| FlowState SQLite, {durability}, 10-node flow, a checkpoint per step | {concurrentRuns} | {new Measurement("steps/s", steps).Describe()} | " +
                    $"raw SQLite upsert transactions/s {new Measurement("/s", raw).Describe()}; raw fsync {new Measurement("/s", fsync).Describe()} | {vsRaw.Describe()} of raw SQLite; {vsFsync.Describe()} of raw fsync |");
                Console.WriteLine(rows[^1]);
            }
        }

        // A durable step on SQLite against the same step on RocksDB (goal: within 2x of RocksDB's time), sample by sample.
        foreach (var durability in eventsOnly || durabilityOnly ? [] : new[] { Durability.Machine, Durability.Process })
        {
            var runs = RunsPerSample(durability, 1, quick);
            var sqlite = new List<double>();
            var rocks = new List<double>();
            for (var i = 0; i < repetitions; i++)
            {
                rocks.Add(await StepsPerSecondAsync(root, durability, 1, runs, rocksDb: true));
                sqlite.Add(await StepsPerSecondAsync(root, durability, 1, runs));
            }

            var ratio = new Measurement("×", sqlite.Zip(rocks, (s, r) => s / r).ToList());
            rows.Add(
                $"| FlowState SQLite, {durability}, 10-node flow, a checkpoint per step, against RocksDB | 1 | {new Measurement("steps/s", sqlite).Describe()} | " +
                $"FlowState RocksDB {new Measurement("steps/s", rocks).Describe()} | {ratio.Describe()} of RocksDB (goal ≥ 0.5: a step within 2× RocksDB's time; {(ratio.Median >= 0.5 ? "met" : "missed")}) |");
            Console.WriteLine(rows[^1]);
        }

        // Run events: the same runs with every event read — by a watcher in the process (StreamAsync), or by a follower
        // of the store's change feed (FollowAsync, what another process would use) — against none, sample by sample.
        var observed = durabilityOnly ? [] : new[] { (FlowObserver.Watcher, "every event read by a watcher"), (FlowObserver.Follower, "every run followed through the change feed") };
        // Machine: each step waits for its fsync, so the rows say what observing costs beside a durable step as well;
        // null: in memory.
        var eventSamples = new (string Label, Durability? Durability, int ConcurrentRuns)[]
        {
            ("SQLite, Machine", Durability.Machine, 1), ("SQLite, Process", Durability.Process, 1), ("SQLite, Process", Durability.Process, 16), ("in memory", null, 1),
        };
        if (observed.Length != 0)
        {
            await WarmUpObservedAsync(root, eventSamples, TimeSpan.FromSeconds(quick ? 4 : 8));
        }

        foreach (var (observer, what) in observed)
        {
            foreach (var (label, durability, concurrentRuns) in eventSamples)
            {
                var runs = durability is not { } onDisk ? (quick ? 2000 : 5000) : RunsPerSample(onDisk, concurrentRuns, quick);
                var off = new List<double>();
                var on = new List<double>();
                for (var i = 0; i < repetitions; i++)
                {
                    foreach (var mode in new[] { FlowObserver.None, observer })
                    {
                        // Each sample warmed by a quarter of its runs, done the sample's way (as the peers rows are).
                        var rate = durability is not { } sampled
                            ? await InMemoryStepsPerSecondAsync(concurrentRuns, runs, mode, warmUpRuns: runs / 4)
                            : await StepsPerSecondAsync(root, sampled, concurrentRuns, runs, mode, warmUpRuns: runs / 4);
                        (mode == FlowObserver.None ? off : on).Add(rate);
                    }
                }

                rows.Add(
                    $"| FlowState {label}, 10-node flow, {what} | {concurrentRuns} | {new Measurement("steps/s", on).Describe()} | " +
                    $"not observed {new Measurement("steps/s", off).Describe()} | {new Measurement("×", on.Zip(off, (w, n) => w / n).ToList()).Describe()} of not observed |");
                Console.WriteLine(rows[^1]);
            }
        }

        // Per-run durability: the same runs, sample by sample, with each step durable before the next (Sync), the steps
        // written behind (Async) and at each run's end (Exit); every timer stops once every run returned, that is once
        // every step is durable.
        foreach (var durability in eventsOnly ? [] : new[] { Durability.Machine, Durability.Process })
        {
            foreach (var concurrentRuns in new[] { 1, 16 })
            {
                var runs = RunsPerSample(durability, concurrentRuns, quick);
                var samples = new Dictionary<FlowRunDurability, List<double>> { [FlowRunDurability.Sync] = [], [FlowRunDurability.Async] = [], [FlowRunDurability.Exit] = [] };
                for (var i = 0; i < repetitions; i++)
                {
                    foreach (var (mode, rates) in samples)
                    {
                        rates.Add(await StepsPerSecondAsync(root, durability, concurrentRuns, runs, runDurability: mode));
                    }
                }

                var sync = samples[FlowRunDurability.Sync];
                foreach (var (mode, what) in new[] { (FlowRunDurability.Async, "steps written behind"), (FlowRunDurability.Exit, "steps written at the run's end") })
                {
                    var rates = samples[mode];
                    rows.Add(
                        $"| FlowState SQLite, {durability}, 10-node flow, {what} (run durability {mode}) | {concurrentRuns} | {new Measurement("steps/s", rates).Describe()} | " +
                        $"each step durable before the next (Sync) {new Measurement("steps/s", sync).Describe()} | {new Measurement("×", rates.Zip(sync, (a, s) => a / s).ToList()).Describe()} of Sync |");
                    Console.WriteLine(rows[^1]);
                }
            }
        }

        ResultsTable.Print("| operation | concurrent runs | FlowState (median, min–max) | baselines (same run) | ratio |", rows, Path.Combine(root, "flows-results.md"));
        return 0;
    }

    /// <summary>
    /// Every kind of sample the event rows take (<paramref name="samples"/>, each not observed, watched and followed)
    /// run untimed with a few runs each, round after round, for <paramref name="time"/>. Without it the rows compared code the runtime had
    /// not finished compiling: a probe of 4,000 in-memory runs a sample still climbed after 14 samples (not observed
    /// 80k to 407k steps/s, 470k once warm; watched 42k to 316k, 355k once warm).
    /// </summary>
    private static async Task WarmUpObservedAsync(string root, (string Label, Durability? Durability, int ConcurrentRuns)[] samples, TimeSpan time)
    {
        var rounds = 0;
        var watch = Stopwatch.StartNew();
        do
        {
            foreach (var mode in new[] { FlowObserver.None, FlowObserver.Watcher, FlowObserver.Follower })
            {
                foreach (var (_, durability, concurrentRuns) in samples)
                {
                    // A fifth of a full sample's runs (a tenth in memory): short rounds, so that every kind recurs within the time.
                    _ = durability is not { } onDisk
                        ? await InMemoryStepsPerSecondAsync(concurrentRuns, 500, mode, warmUpRuns: 0)
                        : await StepsPerSecondAsync(root, onDisk, concurrentRuns, RunsPerSample(onDisk, concurrentRuns, quick: false) / 5, mode, warmUpRuns: 0);
                }
            }

            rounds++;
        }
        while (watch.Elapsed < time);
        Console.WriteLine($"warm-up: {rounds} rounds of every event-row sample in {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Runs per sample: about a second of work at each durability and concurrency, fewer with --quick.</summary>
    private static int RunsPerSample(Durability durability, int concurrentRuns, bool quick) => (durability, concurrentRuns) switch
    {
        (Durability.Machine, 1) => quick ? 20 : 50,
        (Durability.Machine, _) => quick ? 64 : 160,
        (_, 1) => quick ? 200 : 500,
        _ => quick ? 400 : 1000,
    };

    internal static async Task<double> StepsPerSecondAsync(string root, Durability durability, int concurrentRuns, int runs, FlowObserver observer = FlowObserver.None, int warmUpRuns = 1, FlowHistoryOptions? history = null, StrongBox<long>? checkpointsKept = null, FlowRunDurability runDurability = FlowRunDurability.Sync, bool rocksDb = false)
    {
        var path = DurableBenchmarks.Fresh(root, "flow");
        try
        {
            IStateBackend backend = rocksDb ? new RocksDbStateBackend(path) : new SqliteStateBackend(path + ".db");
            await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = durability });
            return await StepsPerSecondAsync(store, concurrentRuns, runs, observer, warmUpRuns, history, checkpointsKept, runDurability);
        }
        finally
        {
            DurableBenchmarks.Remove(path);
        }
    }

    /// <summary>The same flow on an in-memory store: the runtime's own cost, without a disk.</summary>
    internal static async Task<double> InMemoryStepsPerSecondAsync(int concurrentRuns, int runs, FlowObserver observer = FlowObserver.None, int warmUpRuns = 1, FlowHistoryOptions? history = null, StrongBox<long>? checkpointsKept = null)
    {
        await using var store = new StateStore(new StateStoreOptions());
        return await StepsPerSecondAsync(store, concurrentRuns, runs, observer, warmUpRuns, history, checkpointsKept, FlowRunDurability.Sync);
    }

    private static async Task<double> StepsPerSecondAsync(StateStore store, int concurrentRuns, int runs, FlowObserver observer, int warmUpRuns, FlowHistoryOptions? history, StrongBox<long>? checkpointsKept, FlowRunDurability runDurability)
    {
        // With history the completed runs are retained too: a completed run's state and history are otherwise deleted
        // when it ends, and the peers keep every checkpoint of every run.
        var runner = new FlowRunner(store, new FlowRunnerOptions { History = history, RetainCompletedRuns = history is not null, Durability = runDurability });
        var flow = new FlowBuilder("ten").Sequence([.. Enumerable.Range(0, Nodes).Select(i => (FlowNode)Node.Create<int, string>(
            $"n{i}",
            prep: (_, _) => ValueTask.FromResult(i),
            exec: (n, _) => ValueTask.FromResult($"result of step {n.ToString(CultureInfo.InvariantCulture)}"),
            post: async (state, n, result, _) =>
            {
                await state.SetAsync($"field{n.ToString(CultureInfo.InvariantCulture)}", result);
                return null;
            }))]).Build();
        // The warm-up runs the way the sample does (with its watcher or follower): the observed path's code is warmed
        // as much as the plain one's.
        for (var i = 0; i < warmUpRuns; i++)
        {
            await RunOnceAsync(-i - 1);
        }

        var next = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrentRuns).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) <= runs)
            {
                await RunOnceAsync(n);
            }
        })));
        var stepsPerSecond = runs * Nodes / watch.Elapsed.TotalSeconds;
        if (checkpointsKept is not null)
        {
            // Counted from the store after the timer: the proof that every step's checkpoint was kept.
            await foreach (var run in runner.ListRunsAsync())
            {
                checkpointsKept.Value += (await runner.GetHistoryAsync(run.RunId)).Count;
            }
        }

        return stepsPerSecond;

        async Task RunOnceAsync(int n)
        {
            if (observer == FlowObserver.Watcher)
            {
                var events = 0;
                await foreach (var flowEvent in runner.StreamAsync(flow))
                {
                    events++;
                }

                GC.KeepAlive(events);
            }
            else if (observer == FlowObserver.Follower)
            {
                // Subscribed before the run starts (FollowAsync subscribes when called), read beside it to its end.
                var runId = n < 0 ? $"warm-up-{(-n).ToString(CultureInfo.InvariantCulture)}" : $"followed-{n.ToString(CultureInfo.InvariantCulture)}";
                var events = runner.FollowAsync(runId);
                var follower = Task.Run(async () =>
                {
                    var count = 0;
                    await foreach (var flowEvent in events)
                    {
                        count++;
                    }

                    return count;
                });
                await runner.RunAsync(flow, null, new FlowRunOptions { RunId = runId });
                GC.KeepAlive(await follower);
            }
            else
            {
                await runner.RunAsync(flow);
            }
        }
    }
}
