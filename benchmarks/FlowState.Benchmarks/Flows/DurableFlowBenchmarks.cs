using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlowState.Benchmarks.Durable;
using FlowState.Flows;
using FlowState.Sqlite;

namespace FlowState.Benchmarks.Flows;

/// <summary>
/// Durable steps per second of a 10-node flow on SQLite, each node's post writing one field and committing it with
/// the run's progress (a checkpoint per step), with 1 run at a time and with 16 concurrent runs; paired, sample by
/// sample, with raw SQLite (one upsert per transaction at the same synchronous level) and, at Machine, the raw fsync
/// rate. <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- flows [--quick] [--dir path]</c>.
/// </summary>
internal static class DurableFlowBenchmarks
{
    private const int Nodes = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var dirIndex = Array.IndexOf(args, "--dir");
        var root = Path.GetFullPath(dirIndex >= 0 && dirIndex + 1 < args.Length ? args[dirIndex + 1] : Path.Combine("BenchmarkDotNet.Artifacts", "flows"));
        Directory.CreateDirectory(root);
        var repetitions = quick ? 3 : 5;
        var rows = new List<string>();
        foreach (var durability in new[] { Durability.Machine, Durability.Process })
        {
            foreach (var concurrentRuns in new[] { 1, 16 })
            {
                var runsPerSample = (durability, concurrentRuns) switch
                {
                    (Durability.Machine, 1) => quick ? 20 : 50,
                    (Durability.Machine, _) => quick ? 64 : 160,
                    (_, 1) => quick ? 200 : 500,
                    _ => quick ? 400 : 1000,
                };
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

        var table = new StringBuilder()
            .AppendLine("| operation | concurrent runs | FlowState (median, min–max) | baselines (same run) | ratio |")
            .AppendLine("|---|---|---|---|---|");
        rows.ForEach(row => table.AppendLine(row));
        Console.WriteLine();
        Console.WriteLine(table);
        var output = Path.Combine(root, "flows-results.md");
        await File.WriteAllTextAsync(output, table.ToString());
        Console.WriteLine($"written to {output}");
        return 0;
    }

    internal static async Task<double> StepsPerSecondAsync(string root, Durability durability, int concurrentRuns, int runs)
    {
        var path = DurableBenchmarks.Fresh(root, "flow");
        try
        {
            await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path + ".db"), Durability = durability });
            return await StepsPerSecondAsync(store, concurrentRuns, runs);
        }
        finally
        {
            DurableBenchmarks.Remove(path);
        }
    }

    /// <summary>The same flow on an in-memory store: the runtime's own cost, without a disk.</summary>
    internal static async Task<double> InMemoryStepsPerSecondAsync(int concurrentRuns, int runs)
    {
        await using var store = new StateStore(new StateStoreOptions());
        return await StepsPerSecondAsync(store, concurrentRuns, runs);
    }

    private static async Task<double> StepsPerSecondAsync(StateStore store, int concurrentRuns, int runs)
    {
        var runner = new FlowRunner(store);
        var flow = new FlowBuilder("ten").Sequence([.. Enumerable.Range(0, Nodes).Select(i => (FlowNode)Node.Create<int, string>(
            $"n{i}",
            prep: (_, _) => ValueTask.FromResult(i),
            exec: (n, _) => ValueTask.FromResult($"result of step {n.ToString(CultureInfo.InvariantCulture)}"),
            post: async (state, n, result, _) =>
            {
                await state.SetAsync($"field{n.ToString(CultureInfo.InvariantCulture)}", result);
                return null;
            }))]).Build();
        await runner.RunAsync(flow);
        var next = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrentRuns).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= runs)
            {
                await runner.RunAsync(flow);
            }
        })));
        return runs * Nodes / watch.Elapsed.TotalSeconds;
    }
}
