using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlowState.RocksDb;
using FlowState.Sqlite;
using Microsoft.Data.Sqlite;
using RocksDbSharp;

namespace FlowState.Benchmarks.Durable;

/// <summary>
/// Durable writes measured beside their baselines in one process and one run: the raw fsync of a 4 KiB append,
/// raw Microsoft.Data.Sqlite and raw RocksDbSharp writes, and FlowState on both backends at Machine and Process
/// durability with 1 and 64 concurrent writers; then reopening a store. Every write sample is first run untimed for a
/// few seconds (both sides); then each row repeats and reports the median and spread. A FlowState write sample runs from the first write until the store has closed (folds and
/// write-behind work included), and raw baselines write a different value each time, as FlowState does. Writes go to a directory on the disk under test (default: BenchmarkDotNet.Artifacts/durable).
///   dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- durable [--quick] [--dir path]
/// </summary>
internal static class DurableBenchmarks
{
    private static readonly byte[] Block = new byte[4096];
    private static readonly List<double> OneWriterBackendShares = [];

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var root = ChildProcess.HarnessDirectory(args, "durable");
        var repetitions = quick ? 3 : 5;
        var syncOps = quick ? 200 : 1000;
        // Past the SQLite write log's 4,096-row fold point several times (64 x 200 = 12,800 sets), and every sample's
        // time runs until the store has closed, so the folds and the work left for close are inside it. The sample
        // before (64 x 60 = 3,840 sets) ended just under the fold point and left the fold to an untimed close.
        var perWriter = quick ? 80 : 200;
        var reopenEntries = quick ? 20_000 : 100_000;
        Directory.CreateDirectory(root);
        var rows = new List<string>();
        Console.WriteLine($"durable benchmarks in {root}: {repetitions} repetitions, {syncOps} synced ops per 1-writer sample, 64 writers x {perWriter} ops");

        // The disk's fsync latency drifts by 2x within minutes here, so every ratio is taken pair by pair: the
        // baseline sample right before the FlowState sample, the ratio per pair, then the median of the ratios.
        foreach (var (name, create, rawSynced, rawUnsynced, rawReads) in new (string, Func<string, IStateBackend>, Func<int, double>, Func<int, double>, Func<int, int, double>)[]
        {
            ("SQLite", path => new SqliteStateBackend(path + ".db"), ops => RawSqlite(root, ops, "FULL"), ops => RawSqlite(root, ops, "NORMAL"), (n, reads) => RawSqliteReads(root, n, reads)),
            ("RocksDB", path => new RocksDbStateBackend(path), ops => RawRocks(root, ops, sync: true), ops => RawRocks(root, ops, sync: false), (n, reads) => RawRocksReads(root, n, reads)),
        })
        {
            var fsync = new List<double>();
            var rawSync = new List<double>();
            var rawNoSync = new List<double>();
            var one = new List<double>();
            var many = new List<double>();
            var oneProcess = new List<double>();
            var manyProcess = new List<double>();
            var machineSamples = new ManyWriterSamples();
            var processSamples = new ManyWriterSamples();
            await WarmUpAsync(root, create, rawSynced, rawUnsynced, perWriter, TimeSpan.FromSeconds(quick ? 3 : 5));
            OneWriterBackendShares.Clear();
            for (var i = 0; i < repetitions; i++)
            {
                fsync.Add(RawFsync(root, syncOps));
                one.Add(await FlowStateOneWriterAsync(root, create, Durability.Machine, syncOps));
                rawSync.Add(rawSynced(syncOps));
                many.Add(machineSamples.Add(await FlowStateManyWritersAsync(root, create, Durability.Machine, 64, perWriter)));
                rawNoSync.Add(rawUnsynced(syncOps * 5));
                oneProcess.Add(await FlowStateOneWriterAsync(root, create, Durability.Process, syncOps * 5));
                manyProcess.Add(processSamples.Add(await FlowStateManyWritersAsync(root, create, Durability.Process, 64, perWriter * 5)));
            }

            var latencyVsFsync = Ratios(one, fsync, (m, b) => m / b);
            var rateVsFsync = Ratios(many, fsync, (m, b) => m / (1e6 / b));
            var latencyVsRaw = Ratios(one, rawSync, (m, b) => m / b);
            var processVsRaw = Ratios(oneProcess, rawNoSync, (m, b) => m / b);
            var fsyncRates = new Measurement("/s", fsync.Select(f => 1e6 / f).ToList());
            rows.Add($"| raw fsync, 4 KiB append (paired with the {name} rows) | 1 | {new Measurement("µs", fsync).Describe()} = {fsyncRates.Describe()} | — | — | — | baseline |");
            rows.Add($"| raw {name} synced write, 1 upsert per transaction | 1 | {new Measurement("µs", rawSync).Describe()} | — | — | — | baseline |");
            rows.Add($"| raw {name} unsynced write | 1 | {new Measurement("µs", rawNoSync).Describe()} | — | — | — | baseline |");
            rows.Add($"| FlowState {name}, Machine, set | 1 | {new Measurement("µs", one).Describe()} | raw fsync | {latencyVsFsync.Describe()} latency | ≤ 1.5× | {(latencyVsFsync.Median <= 1.5 ? "yes" : "no")} |");
            rows.Add($"| FlowState {name}, Machine, set | 1 | {new Measurement("µs", one).Describe()} | raw {name} synced write | {latencyVsRaw.Describe()} latency | — | — |");
            rows.Add($"| FlowState {name}, Machine, set | 64 | {new Measurement("writes/s", many).Describe()} | raw fsync rate | {rateVsFsync.Describe()} rate | ≥ 20× | {(rateVsFsync.Median >= 20 ? "yes" : "no")} |");
            rows.Add($"| FlowState {name}, Process, set | 1 | {new Measurement("µs", oneProcess).Describe()} | raw {name} unsynced write | {processVsRaw.Describe()} latency | — | — |");
            rows.Add($"| FlowState {name}, Process, set | 64 | {new Measurement("writes/s", manyProcess).Describe()} | — | — | — | — |");
            rows.Add($"| time in the backend, {name}, Machine, 1 writer | 1 | {new Measurement("%", [.. OneWriterBackendShares]).Describe()} | — | — | — | — |");
            rows.Add($"| group commit, {name}, 64 writers | 64 | Machine: {machineSamples.Describe()}; Process: {processSamples.Describe()} | — | — | — | — |");
            var reopen = await RepeatAsync(Math.Min(repetitions, 3), "ms", () => ReopenAsync(root, create, reopenEntries));
            rows.Add($"| FlowState {name}, open + read all of {reopenEntries:N0} entries | 1 | {reopen.Describe()} | — | — | — | — |");
            var rawRead = new List<double>();
            var pagedRead = new List<double>();
            for (var i = 0; i < Math.Min(repetitions, 3); i++)
            {
                rawRead.Add(rawReads(reopenEntries, reopenEntries));
                pagedRead.Add(await PagedReadAsync(root, create, reopenEntries, reopenEntries));
            }

            var (heapAll, heapBounded) = await OpenHeapAsync(root, create, reopenEntries);
            rows.Add($"| FlowState {name}, managed heap after opening {reopenEntries:N0} entries of ~1 KiB: MaxEntries = 1% vs unbounded | 1 | {heapBounded:F1} MB vs {heapAll:F1} MB | — | {heapBounded / heapAll:F2} × | — | — |");
            rows.Add($"| raw {name} point read, random key of {reopenEntries:N0} | 1 | {new Measurement("µs", rawRead).Describe()} | — | — | — | baseline |");
            rows.Add($"| FlowState {name}, get of a random key, 1% of {reopenEntries:N0} values in memory (MaxEntries) | 1 | {new Measurement("µs", pagedRead).Describe()} | raw {name} point read | {Ratios(pagedRead, rawRead, (m, b) => m / b).Describe()} latency | — | — |");
            Console.WriteLine($"{name}: Machine 1 writer {latencyVsFsync.Describe()} fsync latency, 64 writers {rateVsFsync.Describe()} fsync rate");
        }

        ResultsTable.Print("| operation | writers | FlowState / measured (median, min–max) | baseline | ratio | target | pass |", rows, Path.Combine(root, "durable-results.md"));
        return 0;
    }

    private static Measurement Ratios(List<double> measured, List<double> baseline, Func<double, double, double> ratio) =>
        new("×", measured.Zip(baseline, ratio).ToList());

    private static async Task<Measurement> RepeatAsync(int repetitions, string unit, Func<Task<double>> sample)
    {
        var samples = new List<double>();
        for (var i = 0; i < repetitions; i++)
        {
            samples.Add(await sample());
        }

        return new Measurement(unit, samples);
    }

    internal static string Fresh(string root, string name)
    {
        var path = Path.Combine(root, $"{name}-{Guid.NewGuid():N}");
        return path;
    }

    internal static void Remove(string path)
    {
        foreach (var candidate in new[] { path, path + ".db", path + ".db-wal", path + ".db-shm", path + ".db.lock", path + ".flowstate-mark", path + ".db.flowstate-mark", path + ".db.flowstate-log-0", path + ".db.flowstate-log-1" })
        {
            if (Directory.Exists(candidate))
            {
                Directory.Delete(candidate, recursive: true);
            }
            else if (File.Exists(candidate))
            {
                File.Delete(candidate);
            }
        }
    }

    /// <summary>Mean µs of one 4 KiB append + fsync.</summary>
    internal static double RawFsync(string root, int ops)
    {
        var path = Fresh(root, "fsync");
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < ops; i++)
            {
                file.Write(Block);
                file.Flush(flushToDisk: true);
            }

            return watch.Elapsed.TotalMicroseconds / ops;
        }
        finally
        {
            Remove(path);
        }
    }

    /// <summary>A raw SQLite file in WAL mode at the given synchronous level with one table <c>t (k, v)</c>.</summary>
    private static SqliteConnection OpenRawTable(string path, string synchronous)
    {
        var connection = new SqliteConnection($"Data Source={path}.db;Pooling=False");
        connection.Open();
        using var setup = connection.CreateCommand();
        setup.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;";
        setup.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Mean µs of one upsert in its own transaction, on a WAL file at the given synchronous level.</summary>
    internal static double RawSqlite(string root, int ops, string synchronous)
    {
        var path = Fresh(root, "raw-sqlite");
        try
        {
            using var connection = OpenRawTable(path, synchronous);

            using var upsert = connection.CreateCommand();
            upsert.CommandText = "INSERT INTO t (k, v) VALUES ($k, $v) ON CONFLICT (k) DO UPDATE SET v = excluded.v;";
            var key = upsert.Parameters.Add(new SqliteParameter { ParameterName = "$k" });
            var value = upsert.Parameters.Add(new SqliteParameter { ParameterName = "$v" });
            var payloads = Payloads(ops);
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < ops; i++)
            {
                using var transaction = connection.BeginTransaction();
                upsert.Transaction = transaction;
                key.Value = "k" + (i % 1000).ToString(CultureInfo.InvariantCulture);
                value.Value = payloads[i];
                upsert.ExecuteNonQuery();
                transaction.Commit();
            }

            return watch.Elapsed.TotalMicroseconds / ops;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Remove(path);
        }
    }

    /// <summary>Mean µs of one Put.</summary>
    private static double RawRocks(string root, int ops, bool sync)
    {
        var path = Fresh(root, "raw-rocks");
        try
        {
            using var db = RocksDbSharp.RocksDb.Open(new DbOptions().SetCreateIfMissing(true), path);
            var write = new WriteOptions().SetSync(sync);
            var payloads = Payloads(ops);
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < ops; i++)
            {
                db.Put(Encoding.UTF8.GetBytes("k" + (i % 1000).ToString(CultureInfo.InvariantCulture)), payloads[i], writeOptions: write);
            }

            return watch.Elapsed.TotalMicroseconds / ops;
        }
        finally
        {
            Remove(path);
        }
    }

    /// <summary>Mean µs of one acknowledged set by a single writer.</summary>
    private static async Task<double> FlowStateOneWriterAsync(string root, Func<string, IStateBackend> create, Durability durability, int ops)
    {
        var path = Fresh(root, "flowstate");
        try
        {
            var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = create(path), Durability = durability });
            var scope = store.For(StateScope.Workflow("bench"));
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < ops; i++)
            {
                await scope.SetAsync("k" + (i % 1000).ToString(CultureInfo.InvariantCulture), Value(i));
            }

            var backendTime = store.GroupCommitStatistics.BackendTime;
            await store.DisposeAsync();
            var elapsed = watch.Elapsed;
            if (durability == Durability.Machine)
            {
                OneWriterBackendShares.Add(100 * backendTime / elapsed);
            }

            return elapsed.TotalMicroseconds / ops;
        }
        finally
        {
            Remove(path);
        }
    }

    /// <summary>
    /// Every sample's code run untimed, round after round, for <paramref name="time"/>: without it the first samples
    /// measured code the runtime had not yet compiled to its final tier (64 SQLite writers at about half their warm rate
    /// for the first seven samples of 12,800 writes: a probe put them at 39–62k writes/s, then 80–130k/s, against ~5,000
    /// fsyncs/s). The raw baselines are warmed the same way, being managed code too.
    /// </summary>
    private static async Task WarmUpAsync(string root, Func<string, IStateBackend> create, Func<int, double> rawSynced, Func<int, double> rawUnsynced, int perWriter, TimeSpan time)
    {
        var rounds = 0;
        var watch = Stopwatch.StartNew();
        do
        {
            RawFsync(root, 20);
            rawSynced(20);
            rawUnsynced(200);
            await FlowStateOneWriterAsync(root, create, Durability.Machine, 20);
            await FlowStateOneWriterAsync(root, create, Durability.Process, 200);
            await FlowStateManyWritersAsync(root, create, Durability.Process, 64, perWriter);
            await FlowStateManyWritersAsync(root, create, Durability.Machine, 64, perWriter);
            rounds++;
        }
        while (watch.Elapsed < time);
        Console.WriteLine($"warm-up: {rounds} rounds of every sample in {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Acknowledged sets per second with <paramref name="writers"/> concurrent writers, and where their time went.</summary>
    private static async Task<ManyWriterSample> FlowStateManyWritersAsync(string root, Func<string, IStateBackend> create, Durability durability, int writers, int perWriter)
    {
        var path = Fresh(root, "flowstate");
        try
        {
            var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = create(path), Durability = durability });
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                var scope = store.For(StateScope.Workflow("writer-" + w.ToString(CultureInfo.InvariantCulture)));
                await start.Task;
                for (var i = 0; i < perWriter; i++)
                {
                    await scope.SetAsync("k" + (i % 100).ToString(CultureInfo.InvariantCulture), Value(i));
                }
            })).ToArray();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            start.SetResult();
            await Task.WhenAll(tasks);
            var (groups, commits, backendTime) = store.GroupCommitStatistics;
            await store.DisposeAsync();
            var elapsed = watch.Elapsed;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            var writes = writers * perWriter;
            return new ManyWriterSample(writes / elapsed.TotalSeconds, (double)commits / Math.Max(1, groups), 100 * backendTime / elapsed, cpu.TotalMicroseconds / writes, 100 * cpu / elapsed / Environment.ProcessorCount);
        }
        finally
        {
            Remove(path);
        }
    }

    /// <summary>Milliseconds to open a store of <paramref name="entries"/> entries and read each once.</summary>
    private static async Task<double> ReopenAsync(string root, Func<string, IStateBackend> create, int entries)
    {
        var path = Fresh(root, "reopen");
        try
        {
            await FillAsync(create(path), entries);
            var watch = Stopwatch.StartNew();
            await using var reopened = await StateStore.OpenAsync(new StateStoreOptions { Backend = create(path) });
            var read = reopened.For(StateScope.Workflow("bench"));
            for (var i = 0; i < entries; i++)
            {
                _ = await read.GetEntryAsync("k" + i.ToString(CultureInfo.InvariantCulture)) ?? throw new InvalidOperationException($"entry {i} missing after reopen");
            }

            return watch.Elapsed.TotalMilliseconds;
        }
        finally
        {
            Remove(path);
        }
    }

    /// <summary>
    /// Mean µs of a get of a random key in a store of <paramref name="entries"/> entries that keeps 1% of the values in
    /// memory: nearly every read pages a value back in through the backend (and another one out).
    /// </summary>
    private static async Task<double> PagedReadAsync(string root, Func<string, IStateBackend> create, int entries, int reads)
    {
        var path = Fresh(root, "paged");
        try
        {
            await FillAsync(create(path), entries);
            await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = create(path), MaxEntries = entries / 100 });
            var read = store.For(StateScope.Workflow("bench"));
            var random = new Random(7);
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < reads; i++)
            {
                var key = random.Next(entries);
                _ = await read.GetEntryAsync("k" + key.ToString(CultureInfo.InvariantCulture)) ?? throw new InvalidOperationException($"entry {key} missing");
            }

            var elapsed = watch.Elapsed.TotalMicroseconds / reads;
            if (store.PagingStatistics.PageIns < reads / 2)
            {
                throw new InvalidOperationException($"only {store.PagingStatistics.PageIns} of {reads} reads paged a value in");
            }

            return elapsed;
        }
        finally
        {
            Remove(path);
        }
    }

    /// <summary>
    /// Megabytes of managed heap held by a store of <paramref name="entries"/> values of about 1 KiB right after it
    /// opened: unbounded (every value in memory), then with MaxEntries = 1% (keys, versions and 1% of the values).
    /// </summary>
    private static async Task<(double All, double Bounded)> OpenHeapAsync(string root, Func<string, IStateBackend> create, int entries)
    {
        var path = Fresh(root, "heap");
        try
        {
            await FillAsync(create(path), entries, j => Value(j) + new string('y', 900));

            async Task<double> HeldAfterOpenAsync(long? maxEntries)
            {
                var before = GC.GetTotalMemory(forceFullCollection: true);
                await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = create(path), MaxEntries = maxEntries });
                var held = GC.GetTotalMemory(forceFullCollection: true) - before;
                GC.KeepAlive(store);
                return held / 1e6;
            }

            return (await HeldAfterOpenAsync(null), await HeldAfterOpenAsync(entries / 100));
        }
        finally
        {
            Remove(path);
        }
    }

    /// <summary>Mean µs of a point read of a random key in a raw SQLite table of <paramref name="entries"/> rows.</summary>
    private static double RawSqliteReads(string root, int entries, int reads)
    {
        var path = Fresh(root, "raw-sqlite-read");
        try
        {
            using var connection = OpenRawTable(path, "NORMAL");

            using (var transaction = connection.BeginTransaction())
            using (var insert = connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO t (k, v) VALUES ($k, $v);";
                var key = insert.Parameters.Add(new SqliteParameter { ParameterName = "$k" });
                var value = insert.Parameters.Add(new SqliteParameter { ParameterName = "$v" });
                for (var i = 0; i < entries; i++)
                {
                    key.Value = "k" + i.ToString(CultureInfo.InvariantCulture);
                    value.Value = Encoding.UTF8.GetBytes(Value(i));
                    insert.ExecuteNonQuery();
                }

                transaction.Commit();
            }

            using var select = connection.CreateCommand();
            select.CommandText = "SELECT v FROM t WHERE k = $k;";
            var k = select.Parameters.Add(new SqliteParameter { ParameterName = "$k" });
            var random = new Random(7);
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < reads; i++)
            {
                k.Value = "k" + random.Next(entries).ToString(CultureInfo.InvariantCulture);
                _ = select.ExecuteScalar() as byte[] ?? throw new InvalidOperationException("row missing");
            }

            return watch.Elapsed.TotalMicroseconds / reads;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Remove(path);
        }
    }

    /// <summary>Mean µs of a Get of a random key in a raw RocksDB of <paramref name="entries"/> keys.</summary>
    private static double RawRocksReads(string root, int entries, int reads)
    {
        var path = Fresh(root, "raw-rocks-read");
        try
        {
            using (var db = RocksDbSharp.RocksDb.Open(new DbOptions().SetCreateIfMissing(true), path))
            {
                using var batch = new WriteBatch();
                for (var i = 0; i < entries; i++)
                {
                    batch.Put(Encoding.UTF8.GetBytes("k" + i.ToString(CultureInfo.InvariantCulture)), Encoding.UTF8.GetBytes(Value(i)));
                }

                db.Write(batch);
            }

            // Reopened, as the FlowState store is, so that reads start from the files rather than the memtable.
            using var reopened = RocksDbSharp.RocksDb.Open(new DbOptions(), path);
            var random = new Random(7);
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < reads; i++)
            {
                _ = reopened.Get(Encoding.UTF8.GetBytes("k" + random.Next(entries).ToString(CultureInfo.InvariantCulture))) ?? throw new InvalidOperationException("key missing");
            }

            return watch.Elapsed.TotalMicroseconds / reads;
        }
        finally
        {
            Remove(path);
        }
    }

    /// <summary>Writes <paramref name="entries"/> values (of about 100 bytes by default) in batches of 1,000, then closes the store.</summary>
    private static async Task FillAsync(IStateBackend backend, int entries, Func<int, string>? value = null)
    {
        value ??= Value;
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = Durability.None });
        var scope = store.For(StateScope.Workflow("bench"));
        for (var i = 0; i < entries; i += 1000)
        {
            var batch = scope.CreateBatch();
            for (var j = i; j < i + 1000 && j < entries; j++)
            {
                batch.Set("k" + j.ToString(CultureInfo.InvariantCulture), value(j));
            }

            await scope.ApplyAsync(batch);
        }
    }

    // About 100 bytes of JSON, the size of a typical step result.
    private static string Value(int i) => $"step result {i.ToString(CultureInfo.InvariantCulture)}: " + new string('x', 80);

    // The raw baselines write what FlowState writes: a different value each time, encoded before the timer starts.
    // With one payload for every write, SQLite found the row unchanged from the 1,001st write on and skipped the page
    // write and its fsync (12 µs a write instead of 210 µs), which made FlowState look slow beside it.
    private static byte[][] Payloads(int ops) => [.. Enumerable.Range(0, ops).Select(i => Encoding.UTF8.GetBytes(Value(i)))];

    /// <param name="Rate">Acknowledged sets per second.</param>
    /// <param name="CommitsPerGroup">Commits the group commit wrote per backend transaction.</param>
    /// <param name="BackendPercent">The share of the sample's time spent in the backend's writes.</param>
    /// <param name="CpuMicrosecondsPerWrite">The process's processor time (every thread, user and kernel) per acknowledged set.</param>
    /// <param name="CpuPercent">That processor time as a share of the sample's time on every core.</param>
    private readonly record struct ManyWriterSample(double Rate, double CommitsPerGroup, double BackendPercent, double CpuMicrosecondsPerWrite, double CpuPercent);

    /// <summary>A row's samples of many writers, described together.</summary>
    private sealed class ManyWriterSamples
    {
        private readonly List<ManyWriterSample> _samples = [];

        /// <returns>The sample's rate.</returns>
        public double Add(ManyWriterSample sample)
        {
            _samples.Add(sample);
            return sample.Rate;
        }

        public string Describe() =>
            $"{Of("commits per group", s => s.CommitsPerGroup)}, {Of("% of the time in the backend", s => s.BackendPercent)}, " +
            $"{Of("µs of processor time a write", s => s.CpuMicrosecondsPerWrite)}, {Of("% of the cores busy", s => s.CpuPercent)}";

        private string Of(string unit, Func<ManyWriterSample, double> value) => new Measurement(unit, _samples.Select(value).ToList()).Describe();
    }
}
