using System.Diagnostics;
using System.Text;
using FlowState.Benchmarks.Durable;
using FlowState.Postgres;
using FlowState.Redis;
using Npgsql;
using StackExchange.Redis;

namespace FlowState.Benchmarks.Shared;

/// <summary>
/// <see cref="SharedStateStore"/> on Redis and PostgreSQL beside the raw client doing the same work, sample by sample
/// in the same run: Get, Set and a batch of 100 Sets, 16 concurrent callers, <see cref="Durability.Process"/>
/// (PostgreSQL baselines with <c>synchronous_commit=off</c> too). Starts its own servers with the test scripts.
/// <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- shared [--quick] [--dir path]</c>.
/// </summary>
internal static class SharedStateBenchmarks
{
    private const int Callers = 16;
    private const int BatchSize = 100;
    private static readonly byte[] Value = Encoding.UTF8.GetBytes("""{"status":"running","step":"fetch","attempt":3,"cursor":"c-000042"}""");

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var repetitions = quick ? 3 : 5;
        var operations = quick ? 4_000 : 20_000;
        var batches = quick ? 100 : 400;
        var root = Path.Combine(Path.GetTempPath(), $"flowstate-bench-shared-{Guid.NewGuid():N}");
        var redisDirectory = Path.Combine(root, "redis");
        var postgresDirectory = Path.Combine(root, "postgres");
        var rows = new List<string>();
        try
        {
            var redisPort = ChildProcess.RunScript("start-redis.sh", redisDirectory);
            var postgresPort = ChildProcess.RunScript("start-postgres.sh", postgresDirectory);
            var postgres = $"Host=127.0.0.1;Port={postgresPort};Username=postgres;Database=postgres;Maximum Pool Size=64";

            await using (var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort}"))
            {
                var db = redis.GetDatabase();
                var raw = new RawOperations(
                    key => db.StringGetAsync($"raw:{key}"),
                    key => db.StringSetAsync($"raw:{key}", Value),
                    async keys =>
                    {
                        var transaction = db.CreateTransaction();
                        var sets = keys.Select(key => transaction.StringSetAsync($"raw:{key}", Value)).ToList();
                        await transaction.ExecuteAsync();
                        await Task.WhenAll(sets);
                    },
                    "StackExchange.Redis GET / SET / MULTI of 100 SETs");

                // With the change stream a watcher catches up from (the default on one server), and without it.
                foreach (var retention in new int?[] { null, 0 })
                {
                    await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
                    {
                        Backend = new RedisSharedStateBackend(redis, new RedisSharedStateBackendOptions { KeyPrefix = retention is null ? "bench" : "bench-quiet", ChangeRetention = retention }),
                    });
                    rows.AddRange(await CompareAsync(retention is null ? "Redis" : "Redis, ChangeRetention 0", repetitions, operations, batches, store, raw));
                }
            }

            await using (var dataSource = NpgsqlDataSource.Create(postgres + ";Options=-c synchronous_commit=off"))
            {
                await using (var create = dataSource.CreateCommand("CREATE TABLE IF NOT EXISTS bench_raw (key text PRIMARY KEY, value bytea NOT NULL)"))
                {
                    await create.ExecuteNonQueryAsync();
                }

                var raw = PostgresRaw(dataSource);
                foreach (var notify in new[] { true, false })
                {
                    await using var store = await SharedStateStore.OpenAsync(new SharedStateStoreOptions
                    {
                        Backend = new PostgresSharedStateBackend(new PostgresSharedStateBackendOptions { ConnectionString = postgres, Table = notify ? "bench_shared" : "bench_quiet", NotifyChanges = notify }),
                    });
                    rows.AddRange(await CompareAsync(notify ? "PostgreSQL" : "PostgreSQL, NotifyChanges off", repetitions, operations, batches, store, raw));
                }
            }
        }
        finally
        {
            ChildProcess.RunScript("stop-redis.sh", redisDirectory);
            ChildProcess.RunScript("stop-postgres.sh", postgresDirectory);
            Directory.Delete(root, recursive: true);
        }

        ResultsTable.Print(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"| server | operation ({Callers} concurrent callers) | FlowState SharedStateStore (median, min–max) | raw client (same run) | ratio (FlowState / raw) |"),
            rows,
            Path.Combine(ChildProcess.HarnessDirectory(args, "shared"), "shared-results.md"));
        return 0;
    }

    private static async Task<List<string>> CompareAsync(string server, int repetitions, int operations, int batches, SharedStateStore store, RawOperations raw)
    {
        var run = store.For(StateScope.Workflow("bench"));
        var cases = new (string Name, Func<int, Task> Ours, Func<int, Task> Theirs, int Count, int PerCall)[]
        {
            ("Set", i => run.SetRawAsync($"k{i % 1000}", Value).AsTask(), i => raw.Set($"k{i % 1000}"), operations, 1),
            ("Get", i => run.GetEntryAsync($"k{i % 1000}").AsTask(), i => raw.Get($"k{i % 1000}"), operations, 1),
            ($"batch of {BatchSize} Sets", i => run.ApplyAsync(Batch(run, i)).AsTask(), i => raw.SetMany(Enumerable.Range(0, BatchSize).Select(k => $"b{((i * BatchSize) + k) % 1000}").ToList()), batches, BatchSize),
        };
        var rows = new List<string>();
        foreach (var (name, ours, theirs, count, perCall) in cases)
        {
            await MeasureAsync(ours, count / 4); // warm up: connections, scripts, JIT
            await MeasureAsync(theirs, count / 4);
            var oursSamples = new List<double>();
            var theirsSamples = new List<double>();
            for (var r = 0; r < repetitions; r++)
            {
                oursSamples.Add(await MeasureAsync(ours, count) * perCall);
                theirsSamples.Add(await MeasureAsync(theirs, count) * perCall);
            }

            var ratio = new Measurement("×", oursSamples.Zip(theirsSamples, (o, t) => t / o).ToList());
            rows.Add($"| {server} | {name} | {new Measurement("ops/s", oursSamples).Describe()} | {raw.Description}: {new Measurement("ops/s", theirsSamples).Describe()} | {ratio.Describe()} time |");
            Console.WriteLine(rows[^1]);
        }

        return rows;
    }

    private static RawOperations PostgresRaw(NpgsqlDataSource dataSource) =>
        new(
            async key =>
            {
                await using var command = dataSource.CreateCommand("SELECT value FROM bench_raw WHERE key = $1");
                command.Parameters.AddWithValue(key);
                await command.ExecuteScalarAsync();
            },
            async key =>
            {
                await using var command = dataSource.CreateCommand("INSERT INTO bench_raw (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
                command.Parameters.AddWithValue(key);
                command.Parameters.AddWithValue(Value);
                await command.ExecuteNonQueryAsync();
            },
            async keys =>
            {
                await using var connection = await dataSource.OpenConnectionAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await using var batch = new NpgsqlBatch(connection, transaction);
                foreach (var key in keys)
                {
                    var upsert = new NpgsqlBatchCommand("INSERT INTO bench_raw (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
                    upsert.Parameters.AddWithValue(key);
                    upsert.Parameters.AddWithValue(Value);
                    batch.BatchCommands.Add(upsert);
                }

                await batch.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
            },
            "Npgsql SELECT / upsert / transaction of 100 upserts, synchronous_commit=off");

    private static StateBatch Batch(SharedStateStore run, int i)
    {
        var batch = run.CreateBatch();
        for (var k = 0; k < BatchSize; k++)
        {
            batch.SetRaw($"b{((i * BatchSize) + k) % 1000}", Value);
        }

        return batch;
    }

    /// <summary>Calls per second of <paramref name="operation"/> over <paramref name="count"/> calls spread over <see cref="Callers"/> concurrent loops.</summary>
    private static async Task<double> MeasureAsync(Func<int, Task> operation, int count)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await operation(i);
            }
        })));
        return count / watch.Elapsed.TotalSeconds;
    }

    private sealed record RawOperations(Func<string, Task> Get, Func<string, Task> Set, Func<IReadOnlyList<string>, Task> SetMany, string Description);
}
