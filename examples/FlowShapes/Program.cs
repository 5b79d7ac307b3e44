// Every flow shape of the FlowState flow runtime, each in a few lines, on one store:
//   dotnet run --project examples/FlowShapes                 # all shapes, in memory
//   dotnet run --project examples/FlowShapes -- loop parallel
//   dotnet run --project examples/FlowShapes -- --sqlite shapes.db   # the same on a SQLite file (progress recorded per step)
using FlowState;
using FlowState.Examples.FlowShapes;
using FlowState.Flows;
using FlowState.Sqlite;

var shapes = new Dictionary<string, Func<FlowRunner, Task<string>>>(StringComparer.Ordinal)
{
    ["sequential"] = SequentialShape.RunAsync,
    ["conditional"] = ConditionalShape.RunAsync,
    ["loop"] = LoopShape.RunAsync,
    ["parallel"] = ParallelShape.RunAsync,
    ["batch-node"] = BatchNodeShape.RunAsync,
    ["batch-flow"] = BatchFlowShape.RunAsync,
    ["async-parallel-batch"] = AsyncParallelBatchShape.RunAsync,
    ["nested"] = NestedShape.RunAsync,
    ["resume"] = ResumeShape.RunAsync,
    ["interrupt"] = InterruptShape.RunAsync,
    ["time-travel"] = TimeTravelShape.RunAsync,
};

var sqlite = Array.IndexOf(args, "--sqlite");
var selected = args.Where((a, i) => a != "--sqlite" && (sqlite < 0 || i != sqlite + 1)).ToList();
var unknown = selected.Where(s => !shapes.ContainsKey(s)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown shape(s): {string.Join(", ", unknown)}; known: {string.Join(", ", shapes.Keys)}");
    return 2;
}

await using var store = sqlite >= 0
    ? await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(args[sqlite + 1]) })
    : new StateStore();
var runner = new FlowRunner(store, new FlowRunnerOptions { RecordProgress = true });
foreach (var (name, run) in shapes.Where(s => selected.Count == 0 || selected.Contains(s.Key)))
{
    Console.WriteLine($"{name,-22} {await run(runner)}");
}

return 0;
