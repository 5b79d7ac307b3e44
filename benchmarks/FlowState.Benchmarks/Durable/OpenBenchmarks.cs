using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlowState.RocksDb;
using FlowState.Sqlite;
using Microsoft.Data.Sqlite;
using RocksDbSharp;

namespace FlowState.Benchmarks.Durable;

/// <summary>
/// Opening a durable store of many keys beside a raw scan of the same file, and the memory a store holds per key beside
/// a dictionary holding copies of the same keys and values (issue 28, item 5: open ≤ 1.5× a raw scan, memory ≤ 1.25×).
/// The raw scan reads every row (SQLite: <c>flowstate_entries</c> and <c>flowstate_log</c>; RocksDB: the entries
/// column family) into a <c>Dictionary&lt;string, byte[]&gt;</c> keyed by scope and key; the store does more — it
/// checks each entry's checksum, decodes versions and expiry, and builds its scope tree. Samples alternate, three of
/// each. <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- open [--quick] [--dir path]</c>.
/// </summary>
internal static class OpenBenchmarks
{
    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var root = ChildProcess.HarnessDirectory(args, "open");
        var entries = quick ? 100_000 : 1_000_000;
        var rows = new List<string>();
        foreach (var (name, create, scan) in new (string, Func<string, IStateBackend>, Func<string, Dictionary<string, byte[]>>)[]
        {
            ("SQLite", path => new SqliteStateBackend(path + ".db"), ScanSqlite),
            ("RocksDB", path => new RocksDbStateBackend(path), ScanRocks),
        })
        {
            var path = DurableBenchmarks.Fresh(root, "open");
            try
            {
                await FillAsync(create(path), entries);
                var opens = new List<double>();
                var scans = new List<double>();
                var storeBytes = new List<double>();
                var copyBytes = new List<double>();
                for (var i = 0; i < 3; i++)
                {
                    var (scanMs, copyHeld, scanned) = Timed(() => scan(path));
                    if (scanned != entries)
                    {
                        throw new InvalidOperationException($"{name}: the raw scan found {scanned} entries, not {entries}");
                    }

                    scans.Add(scanMs);
                    copyBytes.Add(copyHeld / entries);
                    var (openMs, storeHeld) = await OpenAsync(create(path), entries);
                    opens.Add(openMs);
                    storeBytes.Add(storeHeld / entries);
                }

                var open = new Measurement("×", opens.Zip(scans, (o, s) => o / s).ToList());
                var memory = new Measurement("×", storeBytes.Zip(copyBytes, (f, c) => f / c).ToList());
                rows.Add($"| {name}: open a store of {entries:N0} keys (~100-byte values) | {new Measurement("ms", opens).Describe()} | raw scan of the same file into a dictionary: {new Measurement("ms", scans).Describe()} | {open.Describe()} | ≤ 1.5× | {(open.Median <= 1.5 ? "pass" : "miss")} |");
                Console.WriteLine(rows[^1]);
                rows.Add($"| {name}: managed memory per key of the open store | {new Measurement("B", storeBytes).Describe()} | the dictionary of copies: {new Measurement("B", copyBytes).Describe()} | {memory.Describe()} | ≤ 1.25× | {(memory.Median <= 1.25 ? "pass" : "miss")} |");
                Console.WriteLine(rows[^1]);
            }
            finally
            {
                SqliteConnection.ClearAllPools();
                DurableBenchmarks.Remove(path);
            }
        }

        ResultsTable.Print("| operation | FlowState (median, min–max) | baseline (same run) | ratio | target | result |", rows, Path.Combine(root, "open-results.md"));
        return 0;
    }

    /// <summary>Milliseconds to open the store, and the managed bytes it holds once open.</summary>
    private static async Task<(double Milliseconds, double HeldBytes)> OpenAsync(IStateBackend backend, int entries)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();
        var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend });
        var elapsed = watch.Elapsed.TotalMilliseconds;
        try
        {
            var held = GC.GetTotalMemory(forceFullCollection: true) - before;
            if (store.GetStatistics().Entries != entries)
            {
                throw new InvalidOperationException($"the store opened with {store.GetStatistics().Entries} entries, not {entries}");
            }

            return (elapsed, held);
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    private static (double Milliseconds, double HeldBytes, int Count) Timed(Func<Dictionary<string, byte[]>> scan)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();
        var copies = scan();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        var held = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(copies);
        return (elapsed, held, copies.Count);
    }

    private static Dictionary<string, byte[]> ScanSqlite(string path)
    {
        var copies = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var connection = new SqliteConnection($"Data Source={path}.db;Mode=ReadOnly;Pooling=False");
        connection.Open();
        foreach (var table in new[] { "flowstate_entries", "flowstate_log" })
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT scope, key, value FROM {table};";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                copies[reader.GetString(0) + "\n" + reader.GetString(1)] = reader.GetFieldValue<byte[]>(2);
            }
        }

        return copies;
    }

    private static Dictionary<string, byte[]> ScanRocks(string path)
    {
        var copies = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var families = new ColumnFamilies { { "entries", new ColumnFamilyOptions() } };
        using var db = RocksDbSharp.RocksDb.OpenReadOnly(new DbOptions(), path, families, errIfLogFileExists: false);
        using var iterator = db.NewIterator(db.GetColumnFamily("entries"));
        for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next())
        {
            copies[Encoding.Latin1.GetString(iterator.Key())] = iterator.Value(); // one char per byte: keys stay distinct
        }

        return copies;
    }

    /// <summary>Fills a store with <paramref name="entries"/> keys of ~100-byte values over 100 workflow scopes.</summary>
    internal static async Task FillAsync(IStateBackend backend, int entries)
    {
        await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend, Durability = Durability.None });
        for (var i = 0; i < entries; i += 1000)
        {
            // Spread over 100 workflow scopes, as runs' state is.
            var batch = store.For(StateScope.Workflow("run-" + (i / 1000 % 100).ToString(CultureInfo.InvariantCulture))).CreateBatch();
            for (var j = i; j < i + 1000 && j < entries; j++)
            {
                batch.Set("k" + j.ToString(CultureInfo.InvariantCulture), $"step result {j.ToString(CultureInfo.InvariantCulture)}: " + new string('x', 80));
            }

            await store.For(StateScope.Workflow("run-" + (i / 1000 % 100).ToString(CultureInfo.InvariantCulture))).ApplyAsync(batch);
        }
    }
}
