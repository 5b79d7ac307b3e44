using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FlowState.Benchmarks.Durable;
using FlowState.Benchmarks.Flows;
using FlowState.Flows;

namespace FlowState.Benchmarks.Peers;

/// <summary>
/// FlowState's durable 10-node flow beside the peers users would pick instead, sample by sample in the same run, like
/// for like: every side keeps every step's checkpoint (FlowState with <see cref="FlowRunnerOptions.History"/> on), runs
/// each sample in a fresh process of its own (FlowState through this program's <c>flow-sample</c> command), gets the
/// same warm-up runs there, then times the same number of runs.
/// LangGraph.js with <c>@langchain/langgraph-checkpoint-sqlite</c> (installed from npm by
/// <c>benchmarks/peers/langgraph/install.sh</c>): its default (asynchronous durability: a step's checkpoint is saved
/// while the next step runs, SQLite <c>synchronous=NORMAL</c>), synchronous durability at NORMAL beside FlowState at
/// <see cref="Durability.Process"/>, and synchronous durability at FULL (an fsync per commit) beside FlowState at
/// <see cref="Durability.Machine"/>. Microsoft Agent Framework workflows (<c>Microsoft.Agents.AI.Workflows</c>, the
/// project <c>benchmarks/peers/agent-framework</c>, built by this harness): a checkpoint per super-step into its
/// <c>FileSystemJsonCheckpointStore</c>, which writes files without fsync (FlowState at Process, the same guarantee, and
/// at Machine, which does more), and into its in-memory checkpoint manager beside FlowState's in-memory store.
/// <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- peers [--quick] [--dir path]</c>.
/// </summary>
internal static class PeerFlowBenchmarks
{
    private const int Nodes = 10;

    public static Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var root = ChildProcess.HarnessDirectory(args, "peers");
        var repetitions = quick ? 3 : 5;
        var langGraph = Install();
        var rows = new List<string>();
        foreach (var (durability, synchronous, ourDurability, note) in new[]
        {
            ("async", "NORMAL", Durability.Process, "LangGraph's default; it saves a step's checkpoint while the next step runs, FlowState waits for each step's commit"),
            ("sync", "NORMAL", Durability.Process, "like for like: both wait for each step's commit, neither fsyncs"),
            ("sync", "FULL", Durability.Machine, "like for like: both fsync each step's commit"),
        })
        {
            foreach (var concurrentRuns in new[] { 1, 16 })
            {
                var (runs, warmUp) = SampleSize(concurrentRuns, quick, inMemory: false);
                var ours = new List<double>();
                var theirs = new List<double>();
                string? settings = null;
                for (var i = 0; i < repetitions; i++)
                {
                    ours.Add(RunFlowState(root, ourDurability.ToString(), concurrentRuns, runs, warmUp));
                    var (stepsPerSecond, described) = RunLangGraph(langGraph, DurableBenchmarks.Fresh(root, "langgraph") + ".db", runs, concurrentRuns, warmUp, durability, synchronous);
                    theirs.Add(stepsPerSecond);
                    settings = described;
                }

                var ratio = new Measurement("×", ours.Zip(theirs, (o, t) => o / t).ToList());
                rows.Add(
                    $"| 10-node flow, one field per node, every step's checkpoint kept, SQLite ({note}) | {concurrentRuns} | FlowState ({ourDurability}, history on): {new Measurement("steps/s", ours).Describe()} | " +
                    $"LangGraph.js SqliteSaver (durability {durability}, {settings}): {new Measurement("steps/s", theirs).Describe()} | {ratio.Describe()} | {runs} runs after {warmUp} warm-up runs per sample |");
                Console.WriteLine(rows[^1]);
            }
        }

        rows.AddRange(AgentFrameworkRows(root, quick, repetitions));
        ResultsTable.Print("| operation | concurrent runs | FlowState (median, min–max) | peer (same run) | ratio | sample |", rows, Path.Combine(root, "peers-results.md"));
        return Task.FromResult(0);
    }

    /// <summary>
    /// <c>flow-sample &lt;dir&gt; &lt;Process|Machine|memory&gt; &lt;concurrent runs&gt; &lt;runs&gt; &lt;warm-up runs&gt;</c>: one
    /// FlowState sample (history on), printed as one JSON line like a peer's.
    /// </summary>
    public static async Task<int> RunFlowStateSampleAsync(string[] args)
    {
        var root = args[0];
        var concurrentRuns = int.Parse(args[2], CultureInfo.InvariantCulture);
        var runs = int.Parse(args[3], CultureInfo.InvariantCulture);
        var warmUp = int.Parse(args[4], CultureInfo.InvariantCulture);
        var history = new FlowHistoryOptions();
        var checkpoints = new StrongBox<long>();
        var stepsPerSecond = args[1] == "memory"
            ? await DurableFlowBenchmarks.InMemoryStepsPerSecondAsync(concurrentRuns, runs, warmUpRuns: warmUp, history: history, checkpointsKept: checkpoints)
            : await DurableFlowBenchmarks.StepsPerSecondAsync(root, Enum.Parse<Durability>(args[1]), concurrentRuns, runs, warmUpRuns: warmUp, history: history, checkpointsKept: checkpoints);
        Console.WriteLine(JsonSerializer.Serialize(new { stepsPerSecond, checkpoints = checkpoints.Value }));
        return 0;
    }

    private static double RunFlowState(string root, string durability, int concurrentRuns, int runs, int warmUp) =>
        RunPeer("FlowState", "dotnet", [typeof(PeerFlowBenchmarks).Assembly.Location, "flow-sample", root, durability, concurrentRuns.ToString(CultureInfo.InvariantCulture), runs.ToString(CultureInfo.InvariantCulture), warmUp.ToString(CultureInfo.InvariantCulture)], runs, null)
            .GetProperty("stepsPerSecond").GetDouble();

    /// <summary>
    /// Timed runs and warm-up runs per sample, the same on every side. A peer in a fresh process with one warm-up run
    /// measured about half its warm rate (LangGraph.js: 239–246 steps/s over 50 runs, 432–476 over 400), while FlowState
    /// ran in this already warm process: the warm-up is now a quarter of the sample on both sides.
    /// </summary>
    private static (int Runs, int WarmUp) SampleSize(int concurrentRuns, bool quick, bool inMemory)
    {
        var runs = (concurrentRuns, quick) switch
        {
            (1, true) => 40,
            (1, false) => 200,
            (_, true) => 128,
            _ => 640,
        };
        runs *= inMemory ? 10 : 1;
        return (runs, runs / 4);
    }

    private static List<string> AgentFrameworkRows(string root, bool quick, int repetitions)
    {
        const string Operation = "10-node workflow, one field per node, a checkpoint per super-step, every checkpoint kept";
        var rows = new List<string>();
        var project = Path.GetFullPath(Path.Combine("benchmarks", "peers", "agent-framework"));
        var (code, output, error) = ChildProcess.Run("dotnet", ["build", "-c", "Release", project]);
        if (code != 0)
        {
            var reason = (output + error).Split('\n').LastOrDefault(line => line.Contains("error", StringComparison.Ordinal))?.Trim() ?? $"exit {code}";
            rows.Add($"| {Operation} | — | — | Microsoft Agent Framework: not measured, building {project} failed: {reason.Replace('|', '/')} | — | — |");
            Console.WriteLine(rows[^1]);
            return rows;
        }

        var program = Path.Combine(project, "bin", "Release", "net10.0", "AgentFrameworkPeer.dll");
        foreach (var (store, ourDurability) in new (string, Durability?)[] { ("file", Durability.Process), ("file", Durability.Machine), ("memory", null) })
        {
            foreach (var concurrentRuns in new[] { 1, 16 })
            {
                var (runs, warmUp) = SampleSize(concurrentRuns, quick, inMemory: store == "memory");
                var ours = new List<double>();
                var theirs = new List<double>();
                for (var i = 0; i < repetitions; i++)
                {
                    ours.Add(RunFlowState(root, ourDurability?.ToString() ?? "memory", concurrentRuns, runs, warmUp));
                    var folder = DurableBenchmarks.Fresh(root, "agent-framework");
                    try
                    {
                        theirs.Add(RunAgentFramework(program, folder, runs, concurrentRuns, store, warmUp));
                    }
                    finally
                    {
                        DurableBenchmarks.Remove(folder);
                    }
                }

                var (ourSide, theirSide) = (store, ourDurability) switch
                {
                    ("file", Durability.Process) => ("FlowState SQLite (Process, history on; like for like: neither fsyncs)", "Agent Framework FileSystemJsonCheckpointStore (JSON files, no fsync)"),
                    ("file", _) => ("FlowState SQLite (Machine, history on; FlowState does more: an fsync per step)", "Agent Framework FileSystemJsonCheckpointStore (JSON files, no fsync)"),
                    _ => ("FlowState in-memory store (history on)", "Agent Framework in-memory checkpoint manager"),
                };
                var ratio = new Measurement("×", ours.Zip(theirs, (o, t) => o / t).ToList());
                rows.Add(
                    $"| {Operation} | {concurrentRuns} | {ourSide}: {new Measurement("steps/s", ours).Describe()} | " +
                    $"{theirSide}: {new Measurement("steps/s", theirs).Describe()} | {ratio.Describe()} | {runs} runs after {warmUp} warm-up runs per sample |");
                Console.WriteLine(rows[^1]);
            }
        }

        return rows;
    }

    private static double RunAgentFramework(string program, string folder, int runs, int concurrentRuns, string store, int warmUp)
    {
        Directory.CreateDirectory(folder);
        return RunPeer("Agent Framework", "dotnet", [program, folder, runs.ToString(CultureInfo.InvariantCulture), concurrentRuns.ToString(CultureInfo.InvariantCulture), store, warmUp.ToString(CultureInfo.InvariantCulture)], runs, null)
            .GetProperty("stepsPerSecond").GetDouble();
    }

    /// <summary>Runs one peer sample and returns its JSON line, checked for a checkpoint per step.</summary>
    private static JsonElement RunPeer(string peer, string file, string[] arguments, int runs, string? workingDirectory)
    {
        var (code, output, error) = ChildProcess.Run(file, arguments, workingDirectory);
        if (code != 0)
        {
            throw new InvalidOperationException($"the {peer} benchmark failed (exit {code}): {error}");
        }

        using var document = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var result = document.RootElement.Clone();
        var checkpoints = result.GetProperty("checkpoints").GetInt64();
        if (checkpoints < (long)runs * Nodes)
        {
            throw new InvalidOperationException($"{peer} stored {checkpoints} checkpoints for {runs} runs of {Nodes} steps; it did not checkpoint every step.");
        }

        return result;
    }

    private static string Install()
    {
        var script = Path.GetFullPath(Path.Combine("benchmarks", "peers", "langgraph", "install.sh"));
        var (code, output, error) = ChildProcess.Run("bash", [script]);
        return code == 0
            ? output.Trim().Split('\n')[^1]
            : throw new InvalidOperationException($"installing LangGraph.js failed ({script}, exit {code}): {error}");
    }

    private static (double StepsPerSecond, string Settings) RunLangGraph(string folder, string database, int runs, int concurrentRuns, int warmUp, string durability, string synchronous)
    {
        var result = RunPeer("LangGraph.js", "node", [Path.Combine(folder, "bench.mjs"), database, runs.ToString(CultureInfo.InvariantCulture), concurrentRuns.ToString(CultureInfo.InvariantCulture), warmUp.ToString(CultureInfo.InvariantCulture), durability, synchronous], runs, folder);
        // What the database reports, not what was asked for: the row shows the setting the peer really ran with.
        var reported = result.GetProperty("synchronous").GetInt32() switch
        {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            var other => other.ToString(CultureInfo.InvariantCulture),
        };
        return (result.GetProperty("stepsPerSecond").GetDouble(), $"{result.GetProperty("journalMode").GetString()}, synchronous={reported}");
    }
}
