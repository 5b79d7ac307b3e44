// A document-review flow's state, kept in FlowState on the embedded SQLite default: run state, per-step state,
// a limited cache, an atomic batch, a counter, a merge patch and a change feed. Every write is durable before it
// returns, so a second run sees the first one's counters and history. Run it with:
//   dotnet run --project examples/StoreTour [-- path/to/file.db]     (default: ./flowstate.db)
using FlowState;
using FlowState.Sqlite;

var path = args.Length > 0 ? args[0] : "flowstate.db";
await using var store = await StateStore.OpenAsync(new StateStoreOptions
{
    Backend = new SqliteStateBackend(path),
    Durability = Durability.Process,
    ScopeLimits = { [StateScope.Custom("cache")] = new StateLimits { MaxKeys = 3 } },
    OnEvicted = e =>
    {
        if (e.Reason is EvictionReason.Capacity or EvictionReason.Expired)
        {
            Console.WriteLine($"  evicted {e.ScopePath}{e.Key} ({e.Reason})");
        }
    },
});

var runs = new FlowStateStorage(store);
var history = store.For(StateScope.Custom("history"));
var earlier = await history.CountAsync();
if (earlier == 0)
{
    Console.WriteLine($"store {path}: new, no earlier runs");
}
else
{
    var last = await history.GetEntryAsync(earlier.ToString("D4", System.Globalization.CultureInfo.InvariantCulture));
    Console.WriteLine($"store {path}: {earlier} earlier run(s), {await store.GetAsync<int>("documents-processed")} documents processed so far; last run: {last}");
}
var documents = new[]
{
    ("intro.md", "FlowState keeps workflow state scoped typed and bounded"),
    ("design.md", "State is stored as JSON and every write gets a version"),
    ("notes.md", "Batches commit atomically and watchers see changes in order"),
};

var runId = runs.NewRunId("review");
Console.WriteLine($"run {runId}");

// Watch the run's changes (its steps' included) while the flow runs.
using var stopWatching = new CancellationTokenSource();
var changes = runs.Run(runId).WatchAsync(cancellationToken: stopWatching.Token);
var changeLog = Task.Run(async () =>
{
    var seen = new List<string>();
    try
    {
        await foreach (var change in changes)
        {
            seen.Add(change.ToString());
        }
    }
    catch (OperationCanceledException)
    {
    }

    return seen;
});

await runs.UpdateStateAsync(runId, new { status = "started", documents = documents.Length });

// Step "count": private cursor in the step scope, shared results in the run scope, one atomic batch per document.
var step = runs.Step(runId, "count");
var run = runs.Run(runId);
foreach (var (name, text) in documents)
{
    var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    var batch = run.CreateBatch()
        .Set($"words:{name}", words.Length)
        .Merge("summary", new { last = name });
    batch.Step("count").Set("cursor", name);
    await run.ApplyAsync(batch);
    await store.UpdateAsync<int>("documents-processed", n => n + 1);
    Console.WriteLine($"  counted {name}: {words.Length} words");
}

// Typed state in a limited scope: MaxKeys = 3 refuses a fourth key with a typed error, writing nothing.
var cache = store.For(StateScope.Custom("cache")).Typed<string[]>();
await cache.SetAsync("top-words", ["state", "json", "batches"]);
await cache.SetAsync("stop-words", ["and", "is"]);
await cache.SetAsync("rare-words", ["atomically"]);
try
{
    await cache.SetAsync("one-too-many", []);
}
catch (StateLimitExceededException ex)
{
    Console.WriteLine($"  refused: {ex.Message}");
}

Console.WriteLine($"  cached top words: {string.Join(", ", (await cache.GetAsync("top-words"))!)}");

// Merge patch: null deletes, objects merge.
await runs.MergeStateAsync(runId, new { status = "done", reviewer = "ann" });
await run.MergeAsync("summary", new { last = (string?)null, total = documents.Length });

var state = await runs.GetStateAsync(runId);
Console.WriteLine($"final run state: {state.ToJsonString()}");
Console.WriteLine($"step cursor: {await step.GetAsync<string>("cursor")}");
Console.WriteLine($"documents processed (global counter): {await store.GetAsync<int>("documents-processed")}");

var stats = store.GetStatistics();
Console.WriteLine($"store: {stats.Entries} entries, {stats.Bytes} bytes, {stats.Hits} hits, {stats.Misses} misses, version {store.CurrentVersion}");

await history.SetAsync((earlier + 1).ToString("D4", System.Globalization.CultureInfo.InvariantCulture), new { run = runId, finished = DateTimeOffset.UtcNow, documents = documents.Length });
await runs.CleanupAsync(runId);
Console.WriteLine($"after cleanup: {await run.CountAsync()} keys left in {run.Path}");

await stopWatching.CancelAsync();
var log = await changeLog;
Console.WriteLine($"watcher saw {log.Count} changes of run {runId}, first: {log.FirstOrDefault()}, last: {log.LastOrDefault()}");
