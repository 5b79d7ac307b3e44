// The child of the crash test: opens a store on a SQLite file or RocksDB directory and runs random writes forever,
// one at a time, printing "BEGIN <id> <op> <keys...>" before each and "ACK <id>" once the store acknowledged it. The
// parent kills it with SIGKILL at a random moment and checks the reopened storage against the acknowledged operations.
//   dotnet FlowState.CrashHarness.dll <sqlite|rocksdb|postgres:<connection string>> <path> <Process|Machine> <seed> <first-op-id>
// In "flows" mode it runs the crash test flow in concurrent runs named f{first-run-id}, f{first-run-id + 1}, … until killed,
// printing "POST <effect key>" after each post:
//   dotnet FlowState.CrashHarness.dll <sqlite|rocksdb> <path> flows <seed> <first-run-id> [Sync|Async (the runs' durability)]
// In "streams" mode it runs the exactly-once counting pipeline over <path>.input.jsonl (keyed state on the backend,
// checkpoints in <path>.checkpoints, output in <path>.out) with a planned fault (see StreamFaults), printing DONE when
// the input is used up (exit 0), or exiting with 3 when an injected exception failed the run:
//   dotnet FlowState.CrashHarness.dll <sqlite|rocksdb> <path> streams <kill|throw:point:n|none> [file | postgres:<table>:<connection string> | nats:<subject>:<url>]
// In "syncs" mode it opens the store, prints READY, makes <count> writes one after another at <durability>, closes the
// store and prints DONE (the parent counts its fsync calls with strace):
//   dotnet FlowState.CrashHarness.dll <sqlite|rocksdb> <path> syncs <Process|Machine> <count>
// In "backup" mode it opens the store, prints READY and takes a backup to <destination>, then prints DONE:
//   dotnet FlowState.CrashHarness.dll <sqlite|rocksdb> <path> backup <destination>
// In "catalog" mode it opens the store and a backup catalog in <catalog folder> and prints READY; "backup" then loops
// forever (a batch of 50 writes, then a backup — every fourth full, the others incremental — printed as "BACKUP <id>"),
// "restore" restores backup <id> (backing up the current state first) and prints RESTORED:
//   dotnet FlowState.CrashHarness.dll <sqlite|rocksdb> <path> catalog <catalog folder> backup
//   dotnet FlowState.CrashHarness.dll <sqlite|rocksdb> <path> catalog <catalog folder> restore <id>
// In "shared" mode it is one of several worker processes on one shared store: it prints READY once connected,
// increments the key "hits" and merges its share of the object "doc" <count> times each, prints DONE and exits 0:
//   dotnet FlowState.CrashHarness.dll shared <redis:<configuration>|postgres:<connection string>|postgres-pooled:<session>|<pooled>> <store name> <worker id> <count>
// In "lease" mode it is a worker that claims the run "leased-run" (waiting while another worker's lease is live, lease
// <lease ms>), prints READY, and resumes the run's steps from the last one stored up to <steps>, each a fenced write
// printed as "STEP n" once acknowledged; then DONE:
//   dotnet FlowState.CrashHarness.dll lease <redis:…|postgres:…> <store name> <worker id> <steps> <lease ms>
// In "lease-flow" mode it is a worker that claims the run <run id> likewise, prints READY, and runs the crash test flow
// (each exec waiting <step ms>) on the fenced store: started when the run does not exist yet ("STARTED"), else resumed
// ("RESUMED"); it prints "POST <effect key>" after each post, renews the lease as it goes and prints "DONE <status>" at
// the end. Given a <hold at> node, that node's exec waits until the worker is killed (so it cannot end the run first):
//   dotnet FlowState.CrashHarness.dll lease-flow <redis:…|postgres:…> <store name> <worker id> <run id> <lease ms> <step ms> [<hold at>]
// In "nats-group" mode it is a member <member id> of the NatsPipelineGroup named <input stream>: it runs the exactly-once
// counting pipeline of each partition p it holds (subject <input stream>.p<p> through the durable consumer
// <input stream>-p<p>, output to <output stream>.p<p>, checkpoints in <checkpoint folder>/p<p>), printing READY, then
// "RUNNING <partitions>" whenever the partitions it runs change and "LOG <member id> <level> <message>" for what the group and its
// pipelines log (claims, releases, failures, restored checkpoints), until killed:
//   dotnet FlowState.CrashHarness.dll nats-group <url> <input stream> <output stream> <partitions> <checkpoint folder> <member id> <lease ms>
// In "af" mode it runs the Agent Framework test workflow (AgentFrameworkTestWorkflow) as session "af-session" with its
// checkpoints in FlowState on <path> (Process durability), prints READY, then BLOCKED once executor <block-at> started
// (it waits there to be killed):
//   dotnet FlowState.CrashHarness.dll af <sqlite|rocksdb> <path> <block-at>
//   dotnet FlowState.CrashHarness.dll af <redis:…|postgres:…> <store name> <block-at>
// In "af-resume" mode another worker resumes that session from its latest checkpoint on the shared store and prints
// CHECKPOINTS <n>, RAN <executors it ran>, OUTPUT <the workflow's output> and DONE:
//   dotnet FlowState.CrashHarness.dll af-resume <redis:…|postgres:…> <store name>
using FlowState.AgentFramework;
using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Flows;
using FlowState.Nats;
using FlowState.Postgres;
using FlowState.Redis;
using FlowState.RocksDb;
using FlowState.Sqlite;
using FlowState.Streaming;
using FlowState;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

if (args[0] == "af")
{
    var blockAt = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
    if (args[1] is "sqlite" or "rocksdb")
    {
        IStateBackend workflowBackend = args[1] == "sqlite" ? new SqliteStateBackend(args[2]) : new RocksDbStateBackend(args[2]);
        await using var embedded = await StateStore.OpenAsync(new StateStoreOptions { Backend = workflowBackend, Durability = Durability.Process });
        return await RunAgentFrameworkWorkflowAsync(embedded.For(StateScope.Custom("agent-framework")), blockAt);
    }

    await using var shared = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = SharedBackend(args[1], args[2]) });
    return await RunAgentFrameworkWorkflowAsync(shared.For(StateScope.Custom("agent-framework")), blockAt);
}

if (args[0] == "af-resume")
{
    return await ResumeAgentFrameworkWorkflowAsync(args[1], args[2]);
}

if (args[0] == "shared")
{
    return await RunSharedWorkerAsync(args[1], args[2], args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
}

if (args[0] == "lease-flow")
{
    return await RunLeasedFlowAsync(args[1], args[2], args[3], args[4], int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture), args.Length > 7 ? args[7] : null);
}

if (args[0] == "nats-group")
{
    return await RunNatsGroupMemberAsync(args[1], args[2], args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), args[5], args[6], int.Parse(args[7], System.Globalization.CultureInfo.InvariantCulture));
}

if (args[0] == "lease")
{
    return await RunLeaseWorkerAsync(args[1], args[2], args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture));
}

var path = args[1];
IStateBackend backend = args[0] switch
{
    "sqlite" => new SqliteStateBackend(path),

    // Its write-ahead log sealed and folded every few commits: kills land in seals, folds and files written over.
    "sqlite-frequent-folds" => new SqliteStateBackend(new SqliteStateBackendOptions { Path = path, FoldThreshold = 8 }),
    "rocksdb" => new RocksDbStateBackend(path),
    // postgres:<connection string>: the table is named after <path>, as the parent names it.
    ['p', 'o', 's', 't', 'g', 'r', 'e', 's', ':', .. var connectionString] => new PostgresStateBackend(connectionString, FlowState.Postgres.Tests.PostgresTables.For(path)),
    _ => throw new ArgumentException($"unknown backend '{args[0]}': use sqlite, sqlite-frequent-folds, rocksdb or postgres:<connection string>"),
};
if (args[2] == "streams")
{
    return await RunStreamAsync(backend, path, args[3], args.Length > 4 ? args[4] : "file");
}

if (args[2] == "backup")
{
    await using var source = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend });
    Console.Out.WriteLine("READY");
    Console.Out.Flush();
    await source.BackupAsync(args[3]);
    Console.Out.WriteLine("DONE");
    return 0;
}

if (args[2] == "catalog")
{
    await using var cataloged = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend });
    var catalog = new StateBackupCatalog(args[3]);
    Console.Out.WriteLine("READY");
    Console.Out.Flush();
    if (args[4] == "restore")
    {
        await catalog.RestoreAsync(cataloged, StateRestorePoint.Backup(long.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture)));
        Console.Out.WriteLine("RESTORED");
        return 0;
    }

    for (var round = 0; ; round++)
    {
        var changes = cataloged.CreateBatch();
        for (var i = 0; i < 50; i++)
        {
            changes.Set($"k{((round * 50) + i) % 20_000}", round);
        }

        await cataloged.ApplyAsync(changes);
        var record = await catalog.CreateAsync(cataloged, round % 4 == 0 ? StateBackupKind.Full : null);
        Console.Out.WriteLine($"BACKUP {record.Id}");
        Console.Out.Flush();
    }
}

if (args[2] == "syncs")
{
    // Awaited one by one, so every write is a group commit of its own: at Machine, each must reach the disk.
    var count = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
    await using (var synced = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = Enum.Parse<Durability>(args[3]) }))
    {
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        for (var i = 0; i < count; i++)
        {
            await synced.SetAsync("k" + (i % 16), i);
        }
    }

    Console.Out.WriteLine("DONE");
    return 0;
}

if (args[2] == "flows")
{
    await RunFlowsAsync(backend, int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), args.Length > 5 ? Enum.Parse<FlowRunDurability>(args[5]) : FlowRunDurability.Sync);
    return 0;
}

var durability = Enum.Parse<Durability>(args[2]);
var random = new Random(int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
var id = long.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
var output = Console.Out;

await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = durability });
var scope = store.For(StateScope.Workflow("crash"));
output.WriteLine("READY");
output.Flush();

string Key() => "k" + random.Next(32);

while (true)
{
    id++;
    switch (random.Next(4))
    {
        case 0:
        {
            var key = Key();
            output.WriteLine($"BEGIN {id} set {key}");
            output.Flush();
            await scope.SetAsync(key, new { v = id });
            break;
        }

        case 1:
        {
            var key = Key();
            output.WriteLine($"BEGIN {id} merge {key}");
            output.Flush();
            await scope.MergeAsync(key, new { m = id });
            break;
        }

        case 2:
        {
            var key = Key();
            output.WriteLine($"BEGIN {id} delete {key}");
            output.Flush();
            await scope.DeleteAsync(key);
            break;
        }

        default:
        {
            // 3 to 8 keys: every one but the last set, the last deleted. Batches of more than four changes take the
            // SQLite backend's write log, so both of its paths are killed mid-write.
            var keys = Enumerable.Range(0, random.Next(3, 9)).Select(_ => Key()).ToArray();
            output.WriteLine($"BEGIN {id} batch {string.Join(' ', keys)}");
            output.Flush();
            var batch = scope.CreateBatch();
            foreach (var key in keys[..^1])
            {
                batch.Set(key, new { v = id });
            }

            await scope.ApplyAsync(batch.Delete(keys[^1]));
            break;
        }
    }

    output.WriteLine($"ACK {id}");
    output.Flush();
}

static async Task RunFlowsAsync(IStateBackend backend, int firstRun, FlowRunDurability runDurability)
{
    await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = Durability.Process });
    var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true, Durability = runDurability });
    var flow = CrashTestFlow.Build(posted: effect =>
    {
        lock (Console.Out)
        {
            Console.Out.WriteLine("POST " + effect);
            Console.Out.Flush();
        }
    });
    var next = firstRun - 1;
    Console.Out.WriteLine("READY");
    Console.Out.Flush();
    await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
    {
        while (true)
        {
            await runner.RunAsync(flow, new { started = true }, new FlowRunOptions { RunId = $"f{Interlocked.Increment(ref next)}" });
        }
    })));
}

static async Task<int> RunStreamAsync(IStateBackend backend, string path, string plan, string sinkSpec)
{
    var faults = StreamFaults.Parse(plan);
    var sinkParts = sinkSpec.Split(':', 3);
    await using var natsConnection = sinkParts[0] == "nats" ? PatientNatsConnection(sinkParts[2]) : null;
    TwoPhaseCommitSink sink = sinkParts[0] switch
    {
        "postgres" => new PostgresSink("out", sinkParts[2], sinkParts[1]),
        "nats" => new NatsJetStreamSink("out", natsConnection!, sinkParts[1]),
        _ => new JsonLinesFileSink("out", path + ".out"),
    };
    await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = Durability.Process });
    await using var pipeline = new StreamPipelineBuilder("eos")
        .AddSource(new JsonLinesFileSource("input", path + ".input.jsonl") { KeyField = "key" })
        .AddProcessor(new FaultingProcessor("slow", faults))
        .AddProcessor(new CountByKeyProcessor("counts"))
        .AddSink(new FaultingSink(sink, faults))
        .WithPartitions(3)
        .WithCheckpoints(new FaultingCheckpointStorage(new DirectoryCheckpointStorage(path + ".checkpoints"), faults), TimeSpan.FromMilliseconds(25))
        .WithStateStore(store)
        .Configure(o =>
        {
            o.ExactlyOnce = true;
            o.BatchSize = 64;
            o.FullCheckpointEvery = 4;
            o.RetainedCheckpoints = 2;
        })
        .Build();
    Console.WriteLine("READY");
    Console.Out.Flush();
    try
    {
        var result = await pipeline.RunAsync();
        Console.WriteLine($"DONE {result.MessagesRead}");
        return 0;
    }
    catch (Exception ex) when (faults.Injected)
    {
        Console.WriteLine($"FAILED {ex.Message}");
        return 3;
    }
}

// The kill tests start this program while other test assemblies load the machine: NATS's default connect timeout (2 s)
// was seen to expire there before the client's handshake ran.
static NatsConnection PatientNatsConnection(string url) =>
    new(new NatsOpts { Url = url, Name = "flowstate-crash-harness", ConnectTimeout = TimeSpan.FromSeconds(30) });

static async Task<int> RunNatsGroupMemberAsync(string url, string input, string output, int partitions, string checkpoints, string member, int leaseMilliseconds)
{
    var options = new NatsPipelineGroupOptions { Group = input, Partitions = partitions, MemberId = member, LeaseTime = TimeSpan.FromMilliseconds(leaseMilliseconds) };
    var report = new Lock();
    await using var connection = PatientNatsConnection(url);
    await using var group = new NatsPipelineGroup(connection, Options.Create(options), partition => new StreamPipelineBuilder($"{input}-p{partition}")
        .AddSource(new NatsJetStreamSource("input", connection, input) { FilterSubject = $"{input}.p{partition}", DurableConsumer = $"{input}-p{partition}" })
        .AddProcessor(new CountByKeyProcessor("counts"))
        .AddSink(new NatsJetStreamSink("out", connection, $"{output}.p{partition}"))
        .WithCheckpoints(new DirectoryCheckpointStorage(Path.Combine(checkpoints, $"p{partition}")), TimeSpan.FromMilliseconds(50))
        .WithLogger(new StandardOutputLogger<StreamPipeline>(report, member))
        .Configure(o =>
        {
            o.ExactlyOnce = true;
            o.BatchSize = 32;
            o.RetainedCheckpoints = 2;
        })
        .Build(), new StandardOutputLogger<NatsPipelineGroup>(report, member));
    group.RunningPartitionsChanged += (_, _) =>
    {
        lock (report)
        {
            Console.WriteLine($"RUNNING {string.Join(",", group.RunningPartitions)}");
            Console.Out.Flush();
        }
    };
    Console.WriteLine("READY");
    Console.Out.Flush();
    await group.RunAsync(CancellationToken.None);
    return 0;
}

static ISharedStateBackend SharedBackend(string server, string name) => server switch
{
    ['r', 'e', 'd', 'i', 's', ':', .. var configuration] => new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = configuration, KeyPrefix = name }),
    ['p', 'o', 's', 't', 'g', 'r', 'e', 's', ':', .. var connectionString] => new PostgresSharedStateBackend(connectionString, name),
    ['p', 'o', 's', 't', 'g', 'r', 'e', 's', '-', 'p', 'o', 'o', 'l', 'e', 'd', ':', .. var both] when both.Split('|') is [var session, var pooled] =>
        new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions { ConnectionString = pooled, SessionConnectionString = session, Table = name }),
    _ => throw new ArgumentException($"unknown server '{server}': use redis:<configuration>, postgres:<connection string> or postgres-pooled:<session connection string>|<pooled connection string>"),
};

static async Task<int> RunLeaseWorkerAsync(string server, string name, string worker, int steps, int leaseMilliseconds)
{
    await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = SharedBackend(server, name) });
    var leases = new RunLeases(store);
    var duration = TimeSpan.FromMilliseconds(leaseMilliseconds);
    RunLease? lease;
    while ((lease = await leases.TryAcquireAsync("leased-run", worker, duration)) is null)
    {
        await Task.Delay(50);
    }

    Console.WriteLine("READY");
    var run = leases.Fence(lease);
    for (var step = await run.GetAsync<int>("step") + 1; step <= steps; step++)
    {
        await run.ApplyAsync(run.CreateBatch().Set("step", step).Set($"done:{step}", worker));
        Console.WriteLine($"STEP {step}");
        lease = await leases.RenewAsync(lease, duration);
        run = leases.Fence(lease);
        await Task.Delay(10);
    }

    Console.WriteLine("DONE");
    return 0;
}

static async Task<int> ResumeAgentFrameworkWorkflowAsync(string server, string name)
{
    await using var shared = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = SharedBackend(server, name) });
    var store = new FlowStateCheckpointStore(shared.For(StateScope.Custom("agent-framework")));
    Console.WriteLine("READY");
    var checkpoints = (await store.RetrieveIndexAsync("af-session")).ToList();
    Console.WriteLine($"CHECKPOINTS {checkpoints.Count}");
    var ran = new List<int>();
    await using var resumed = await Microsoft.Agents.AI.Workflows.InProcessExecution.ResumeAsync(
        AgentFrameworkTestWorkflow.Build(ran), checkpoints[^1], Microsoft.Agents.AI.Workflows.CheckpointManager.CreateJson(store));
    Console.WriteLine($"RAN {string.Join(',', ran)}");
    Console.WriteLine($"OUTPUT {AgentFrameworkTestWorkflow.Output(resumed)}");
    Console.WriteLine("DONE");
    return 0;
}

static async Task<int> RunLeasedFlowAsync(string server, string name, string worker, string runId, int leaseMilliseconds, int stepMilliseconds, string? holdAt)
{
    await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = SharedBackend(server, name) });
    var leases = new RunLeases(store);
    var duration = TimeSpan.FromMilliseconds(leaseMilliseconds);
    RunLease? lease;
    while ((lease = await leases.TryAcquireAsync(runId, worker, duration)) is null)
    {
        await Task.Delay(50);
    }

    Console.WriteLine("READY");
    using var stop = new CancellationTokenSource();
    var renewing = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(leaseMilliseconds / 3, stop.Token);
            lease = await leases.RenewAsync(lease, duration, stop.Token);
        }
    });
    var runner = new FlowRunner(leases.Fence(lease));
    var flow = CrashTestFlow.Build(stepMilliseconds, effect =>
    {
        lock (Console.Out)
        {
            Console.Out.WriteLine("POST " + effect);
            Console.Out.Flush();
        }
    }, holdAt);
    FlowRunResult result;
    if (await runner.GetRunAsync(runId) is null)
    {
        Console.WriteLine("STARTED");
        result = await runner.RunAsync(flow, new { started = true }, new FlowRunOptions { RunId = runId });
    }
    else
    {
        Console.WriteLine("RESUMED");
        result = await runner.ResumeAsync(flow, runId);
    }

    await stop.CancelAsync();
    await renewing.ContinueWith(_ => { }, TaskScheduler.Default);
    Console.WriteLine($"DONE {result.Status}");
    return 0;
}

static async Task<int> RunSharedWorkerAsync(string server, string name, string worker, int count)
{
    await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = SharedBackend(server, name) });
    Console.WriteLine("READY");
    var run = store.For(StateScope.Workflow("shared-run"));
    for (var i = 0; i < count; i++)
    {
        await run.UpdateAsync<int>("hits", n => n + 1);
        await run.MergeAsync("doc", new Dictionary<string, int> { [worker] = i + 1 });
    }

    Console.WriteLine("DONE");
    return 0;
}

static async Task<int> RunAgentFrameworkWorkflowAsync(IStateStore checkpoints, int blockAt)
{
    var manager = Microsoft.Agents.AI.Workflows.CheckpointManager.CreateJson(new FlowStateCheckpointStore(checkpoints));
    Console.WriteLine("READY");
    var workflow = AgentFrameworkTestWorkflow.Build([], blockAt, () => Console.WriteLine("BLOCKED"));
    await using var run = await Microsoft.Agents.AI.Workflows.InProcessExecution.RunAsync(workflow, AgentFrameworkTestWorkflow.Input, manager, "af-session");
    Console.WriteLine("DONE");
    return 0;
}
