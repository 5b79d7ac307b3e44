using System.Diagnostics;
using System.Globalization;
using FlowState.AgentFramework;
using FlowState.Benchmarks.Durable;
using FlowState.Sqlite;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Agents.AI.Workflows.Checkpointing;

namespace FlowState.Benchmarks.AgentFramework;

/// <summary>
/// Super-steps per second of one Agent Framework workflow (10 executors in a row, each queueing a state update, a
/// checkpoint per super-step), in this process, with its checkpoints in the framework's own file store
/// (<see cref="FileSystemJsonCheckpointStore"/>: a JSON file per checkpoint plus an index, never fsynced) and in
/// FlowState on SQLite at <see cref="Durability.Process"/> (a killed process loses no checkpoint; not fsynced either)
/// and at <see cref="Durability.Machine"/> (fsynced: more work than the file store does), against the framework's
/// in-memory manager as the ceiling (nothing stored). 1 and 64 concurrent runs, interleaved sample by sample.
/// <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- af-checkpoints [--quick] [--dir path]</c>.
/// </summary>
internal static class AgentFrameworkCheckpointBenchmarks
{
    private const int Executors = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var root = ChildProcess.HarnessDirectory(args, "af-checkpoints");
        var repetitions = quick ? 3 : 5;
        var workflow = BuildWorkflow();
        var rows = new List<string>();
        foreach (var concurrentRuns in new[] { 1, 64 })
        {
            var runs = concurrentRuns == 1 ? (quick ? 30 : 100) : (quick ? 256 : 640);
            var samples = new Dictionary<string, List<double>> { ["file"] = [], ["Process"] = [], ["Machine"] = [], ["memory"] = [] };
            for (var i = 0; i < repetitions; i++)
            {
                samples["memory"].Add(await SuperStepsPerSecondAsync(workflow, null, concurrentRuns, runs));
                samples["file"].Add(await FileStoreAsync(root, workflow, concurrentRuns, runs));
                samples["Process"].Add(await FlowStateAsync(root, workflow, Durability.Process, concurrentRuns, runs));
                samples["Machine"].Add(await FlowStateAsync(root, workflow, Durability.Machine, concurrentRuns, runs));
            }

            rows.Add(
                $"| the framework's in-memory manager (its ceiling: nothing stored) | {concurrentRuns} | {new Measurement("super-steps/s", samples["memory"]).Describe()} | " +
                $"file store {new Measurement("super-steps/s", samples["file"]).Describe()} | " +
                $"{new Measurement("×", samples["memory"].Zip(samples["file"], (m, f) => m / f).ToList()).Describe()} of the file store |");
            Console.WriteLine(rows[^1]);
            foreach (var durability in new[] { "Process", "Machine" })
            {
                rows.Add(
                    $"| FlowState SQLite, {durability} | {concurrentRuns} | {new Measurement("super-steps/s", samples[durability]).Describe()} | " +
                    $"file store {new Measurement("super-steps/s", samples["file"]).Describe()} | " +
                    $"{new Measurement("×", samples[durability].Zip(samples["file"], (f, s) => f / s).ToList()).Describe()} of the file store |");
                Console.WriteLine(rows[^1]);
            }
        }

        ResultsTable.Print("| checkpoints in | concurrent runs | super-steps/s (median, min–max) | baseline (same run) | ratio |", rows, Path.Combine(root, "af-checkpoints-results.md"));
        return 0;
    }

    private static async Task<double> FileStoreAsync(string root, Workflow workflow, int concurrentRuns, int runs)
    {
        var path = DurableBenchmarks.Fresh(root, "af-file");
        try
        {
            using var store = new FileSystemJsonCheckpointStore(new DirectoryInfo(path));
            return await SuperStepsPerSecondAsync(workflow, CheckpointManager.CreateJson(store), concurrentRuns, runs);
        }
        finally
        {
            DurableBenchmarks.Remove(path);
        }
    }

    private static async Task<double> FlowStateAsync(string root, Workflow workflow, Durability durability, int concurrentRuns, int runs)
    {
        var path = DurableBenchmarks.Fresh(root, "af-flowstate");
        try
        {
            await using var state = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path + ".db"), Durability = durability });
            var store = new FlowStateCheckpointStore(state.For(StateScope.Custom("agent-framework")));
            return await SuperStepsPerSecondAsync(workflow, CheckpointManager.CreateJson(store), concurrentRuns, runs);
        }
        finally
        {
            DurableBenchmarks.Remove(path);
        }
    }

    /// <summary>With <paramref name="manager"/> null, each run gets an in-memory manager of its own (that one is not thread-safe).</summary>
    private static async Task<double> SuperStepsPerSecondAsync(Workflow workflow, CheckpointManager? manager, int concurrentRuns, int runs)
    {
        await RunOnceAsync(workflow, manager, "warm-up");
        var next = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrentRuns).Select(_ => Task.Run(async () =>
        {
            for (var run = Interlocked.Increment(ref next); run <= runs; run = Interlocked.Increment(ref next))
            {
                await RunOnceAsync(workflow, manager, "run-" + run.ToString(CultureInfo.InvariantCulture));
            }
        })));
        return runs * Executors / watch.Elapsed.TotalSeconds;
    }

    private static async Task RunOnceAsync(Workflow workflow, CheckpointManager? manager, string id)
    {
        manager ??= CheckpointManager.CreateInMemory();
        // The concurrent environment: the default one lets a workflow instance serve one run at a time.
        await using var run = await InProcessExecution.Concurrent.WithCheckpointing(manager).RunAsync(workflow, id, id);
        if (!run.OutgoingEvents.OfType<WorkflowOutputEvent>().Any(e => e.Data as string == id) || run.Checkpoints.Count < Executors)
        {
            throw new InvalidOperationException($"run {id} ended without its output or its checkpoints: {string.Join(", ", run.OutgoingEvents)}");
        }
    }

    private static Workflow BuildWorkflow()
    {
        var nodes = Enumerable.Range(0, Executors).Select(i =>
            ((Func<string, IWorkflowContext, CancellationToken, ValueTask<string>>)(async (run, context, cancellationToken) =>
            {
                await context.QueueStateUpdateAsync($"f{i}", $"value {i} of {run}", "run", cancellationToken).ConfigureAwait(false);
                return run;
            })).BindAsExecutor<string, string>($"n{i}")).ToArray();
        var builder = new WorkflowBuilder(nodes[0]);
        for (var i = 1; i < Executors; i++)
        {
            builder.AddEdge(nodes[i - 1], nodes[i]);
        }

        return builder.WithOutputFrom(nodes[^1]).Build();
    }
}
