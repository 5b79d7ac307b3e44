// Durable steps per second of a 10-node Microsoft Agent Framework workflow (Microsoft.Agents.AI.Workflows) with a
// checkpoint per super-step, the same shape as FlowState's durable flow benchmark: each node writes one field of the
// run's state (a shared state scope) and passes the run on to the next node.
//   dotnet AgentFrameworkPeer.dll <checkpoint folder> <runs> <concurrent runs> <file|memory> <warm-up runs>
// file: FileSystemJsonCheckpointStore (a JSON file per checkpoint plus an index); memory: the in-memory manager.
// Prints one JSON line: {"stepsPerSecond": ..., "runs": ..., "concurrency": ..., "checkpoints": ..., "store": ...}
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Agents.AI.Workflows.Checkpointing;

const int Nodes = 10;
if (args.Length != 5 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var runs) || runs < 1
    || !int.TryParse(args[2], CultureInfo.InvariantCulture, out var concurrency) || concurrency < 1
    || args[3] is not ("file" or "memory")
    || !int.TryParse(args[4], CultureInfo.InvariantCulture, out var warmUpRuns) || warmUpRuns < 0)
{
    Console.Error.WriteLine("usage: AgentFrameworkPeer <checkpoint folder> <runs> <concurrent runs> <file|memory> <warm-up runs>");
    return 2;
}

var nodes = Enumerable.Range(0, Nodes).Select(i =>
    ((Func<string, IWorkflowContext, CancellationToken, ValueTask<string>>)(async (run, context, cancellationToken) =>
    {
        await context.QueueStateUpdateAsync($"f{i}", $"value {i} of {run}", "run", cancellationToken).ConfigureAwait(false);
        return run;
    })).BindAsExecutor<string, string>($"n{i}")).ToArray();
var builder = new WorkflowBuilder(nodes[0]);
for (var i = 1; i < Nodes; i++)
{
    builder.AddEdge(nodes[i - 1], nodes[i]);
}

var workflow = builder.WithOutputFrom(nodes[^1]).Build();
// One file store per concurrent lane, each in a folder of its own: the store is documented as not thread-safe, and 16
// runs on one store corrupted its index once the samples grew to 800 runs ("Operations that change non-concurrent
// collections must have exclusive access"), ending a run without its output.
var stores = Enumerable.Range(0, concurrency)
    .Select(lane => new FileSystemJsonCheckpointStore(new DirectoryInfo(Path.Combine(args[0], $"lane-{lane.ToString(CultureInfo.InvariantCulture)}"))))
    .ToArray();
var fileEnvironments = stores.Select(store => InProcessExecution.Concurrent.WithCheckpointing(CheckpointManager.CreateJson(store))).ToArray();
long checkpoints = 0;

// Warm-up runs, not timed, as many as the FlowState side gets (JIT, the store's index file).
await RunAllAsync(warmUpRuns, "warm-up").ConfigureAwait(false);
checkpoints = 0;
var watch = Stopwatch.StartNew();
await RunAllAsync(runs, "run").ConfigureAwait(false);
var seconds = watch.Elapsed.TotalSeconds;
Console.WriteLine(JsonSerializer.Serialize(new { stepsPerSecond = runs * Nodes / seconds, runs, concurrency, checkpoints, store = args[3] }));
foreach (var store in stores)
{
    store.Dispose();
}

return 0;

Task RunAllAsync(int count, string prefix)
{
    var next = 0;
    return Task.WhenAll(Enumerable.Range(0, concurrency).Select(lane => Task.Run(async () =>
    {
        for (var run = Interlocked.Increment(ref next); run <= count; run = Interlocked.Increment(ref next))
        {
            await RunAsync($"{prefix}-{run.ToString(CultureInfo.InvariantCulture)}", lane).ConfigureAwait(false);
        }
    })));
}

async Task RunAsync(string id, int lane)
{
    // The in-memory manager keeps its sessions in a plain Dictionary too, so each run has its own.
    var environment = args[3] == "file" ? fileEnvironments[lane] : InProcessExecution.Concurrent.WithCheckpointing(CheckpointManager.CreateInMemory());
    var run = await environment.RunAsync(workflow, id, id).ConfigureAwait(false);
    await using (run.ConfigureAwait(false))
    {
        // A run that stopped early (an executor's error) would still have returned: its output proves all ten steps ran.
        if (!run.OutgoingEvents.OfType<WorkflowOutputEvent>().Any(e => e.Data as string == id))
        {
            throw new InvalidOperationException($"run {id} ended without its output: {string.Join(", ", run.OutgoingEvents)}");
        }

        Interlocked.Add(ref checkpoints, run.Checkpoints.Count);
    }
}
