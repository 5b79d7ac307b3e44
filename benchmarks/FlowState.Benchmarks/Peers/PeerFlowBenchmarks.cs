using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FlowState.Benchmarks.Durable;
using FlowState.Benchmarks.Flows;

namespace FlowState.Benchmarks.Peers;

/// <summary>
/// FlowState's durable 10-node flow beside the peers users would pick instead, sample by sample in the same run:
/// LangGraph.js with <c>@langchain/langgraph-checkpoint-sqlite</c> (installed from npm by
/// <c>benchmarks/peers/langgraph/install.sh</c>; a checkpoint per step, SQLite in WAL mode with the
/// <c>synchronous=NORMAL</c> better-sqlite3 uses, so FlowState runs at <see cref="Durability.Process"/>, the same
/// guarantee); and Microsoft Agent Framework workflows (<c>Microsoft.Agents.AI.Workflows</c>, the project
/// <c>benchmarks/peers/agent-framework</c>, built by this harness; a checkpoint per super-step into its
/// <c>FileSystemJsonCheckpointStore</c>, which writes without fsync, so again <see cref="Durability.Process"/>, and into
/// its in-memory checkpoint manager beside FlowState's in-memory store). <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- peers [--quick] [--dir path]</c>.
/// </summary>
internal static class PeerFlowBenchmarks
{
    private const int Nodes = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var dirIndex = Array.IndexOf(args, "--dir");
        var root = Path.GetFullPath(dirIndex >= 0 && dirIndex + 1 < args.Length ? args[dirIndex + 1] : Path.Combine("BenchmarkDotNet.Artifacts", "peers"));
        Directory.CreateDirectory(root);
        var repetitions = quick ? 3 : 5;
        var langGraph = Install();
        var rows = new List<string>();
        foreach (var concurrentRuns in new[] { 1, 16 })
        {
            var runs = (concurrentRuns, quick) switch
            {
                (1, true) => 20,
                (1, false) => 50,
                (_, true) => 64,
                _ => 160,
            };
            var ours = new List<double>();
            var theirs = new List<double>();
            string? settings = null;
            for (var i = 0; i < repetitions; i++)
            {
                ours.Add(await DurableFlowBenchmarks.StepsPerSecondAsync(root, Durability.Process, concurrentRuns, runs));
                var (stepsPerSecond, described) = RunLangGraph(langGraph, DurableBenchmarks.Fresh(root, "langgraph") + ".db", runs, concurrentRuns);
                theirs.Add(stepsPerSecond);
                settings = described;
            }

            var ratio = new Measurement("×", ours.Zip(theirs, (o, t) => o / t).ToList());
            rows.Add(
                $"| 10-node flow, one field per node, a checkpoint per step, SQLite | {concurrentRuns} | FlowState (Process): {new Measurement("steps/s", ours).Describe()} | " +
                $"LangGraph.js SqliteSaver ({settings}): {new Measurement("steps/s", theirs).Describe()} | {ratio.Describe()} | — | — |");
            Console.WriteLine(rows[^1]);
        }

        rows.AddRange(await AgentFrameworkRowsAsync(root, quick, repetitions));
        var table = new StringBuilder()
            .AppendLine("| operation | concurrent runs | FlowState (median, min–max) | peer (same run) | ratio | target | pass |")
            .AppendLine("|---|---|---|---|---|---|---|");
        rows.ForEach(row => table.AppendLine(row));
        Console.WriteLine();
        Console.WriteLine(table);
        var output = Path.Combine(root, "peers-results.md");
        await File.WriteAllTextAsync(output, table.ToString());
        Console.WriteLine($"written to {output}");
        return 0;
    }

    private static async Task<List<string>> AgentFrameworkRowsAsync(string root, bool quick, int repetitions)
    {
        const string Operation = "10-node workflow, one field per node, a checkpoint per super-step";
        var rows = new List<string>();
        var project = Path.GetFullPath(Path.Combine("benchmarks", "peers", "agent-framework"));
        var (code, output, error) = ChildProcess.Run("dotnet", ["build", "-c", "Release", project]);
        if (code != 0)
        {
            var reason = (output + error).Split('\n').LastOrDefault(line => line.Contains("error", StringComparison.Ordinal))?.Trim() ?? $"exit {code}";
            rows.Add($"| {Operation} | — | — | Microsoft Agent Framework: not measured, building {project} failed: {reason.Replace('|', '/')} | — | — | — |");
            Console.WriteLine(rows[^1]);
            return rows;
        }

        var program = Path.Combine(project, "bin", "Release", "net10.0", "AgentFrameworkPeer.dll");
        foreach (var store in new[] { "file", "memory" })
        {
            foreach (var concurrentRuns in new[] { 1, 16 })
            {
                var runs = (store, concurrentRuns, quick) switch
                {
                    ("file", 1, true) => 20,
                    ("file", 1, false) => 50,
                    ("file", _, true) => 64,
                    ("file", _, false) => 160,
                    (_, 1, true) => 200,
                    (_, 1, false) => 500,
                    (_, _, true) => 640,
                    _ => 1600,
                };
                var ours = new List<double>();
                var theirs = new List<double>();
                for (var i = 0; i < repetitions; i++)
                {
                    ours.Add(store == "file"
                        ? await DurableFlowBenchmarks.StepsPerSecondAsync(root, Durability.Process, concurrentRuns, runs)
                        : await DurableFlowBenchmarks.InMemoryStepsPerSecondAsync(concurrentRuns, runs));
                    var folder = DurableBenchmarks.Fresh(root, "agent-framework");
                    try
                    {
                        theirs.Add(RunAgentFramework(program, folder, runs, concurrentRuns, store));
                    }
                    finally
                    {
                        DurableBenchmarks.Remove(folder);
                    }
                }

                var (ourSide, theirSide) = store == "file"
                    ? ("FlowState SQLite (Process)", "Agent Framework FileSystemJsonCheckpointStore (JSON files, no fsync)")
                    : ("FlowState in-memory store", "Agent Framework in-memory checkpoint manager");
                var ratio = new Measurement("×", ours.Zip(theirs, (o, t) => o / t).ToList());
                rows.Add(
                    $"| {Operation} | {concurrentRuns} | {ourSide}: {new Measurement("steps/s", ours).Describe()} | " +
                    $"{theirSide}: {new Measurement("steps/s", theirs).Describe()} | {ratio.Describe()} | — | — |");
                Console.WriteLine(rows[^1]);
            }
        }

        return rows;
    }

    private static double RunAgentFramework(string program, string folder, int runs, int concurrentRuns, string store)
    {
        Directory.CreateDirectory(folder);
        return RunPeer("the Agent Framework", "dotnet", [program, folder, runs.ToString(CultureInfo.InvariantCulture), concurrentRuns.ToString(CultureInfo.InvariantCulture), store], runs, null)
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

    private static (double StepsPerSecond, string Settings) RunLangGraph(string folder, string database, int runs, int concurrentRuns)
    {
        var result = RunPeer("LangGraph.js", "node", [Path.Combine(folder, "bench.mjs"), database, runs.ToString(CultureInfo.InvariantCulture), concurrentRuns.ToString(CultureInfo.InvariantCulture)], runs, folder);
        var synchronous = result.GetProperty("synchronous").GetInt32() switch
        {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            var other => other.ToString(CultureInfo.InvariantCulture),
        };
        return (result.GetProperty("stepsPerSecond").GetDouble(), $"{result.GetProperty("journalMode").GetString()}, synchronous={synchronous}");
    }
}
