using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlowState.RocksDb;
using FlowState.Sqlite;
using Microsoft.Data.Sqlite;
using RocksDbSharp;
using SQLitePCL;

namespace FlowState.Benchmarks.Durable;

/// <summary>
/// Opening a durable store of many keys beside a raw scan of the same file, and the memory a store holds per key beside
/// a dictionary holding copies of the same keys and values (issue 28, item 5: open ≤ 1.5× a raw scan, memory ≤ 1.25×).
/// The raw scan reads every row (SQLite: <c>flowstate_entries</c> and <c>flowstate_log</c>; RocksDB: the entries
/// column family) into a <c>Dictionary&lt;string, byte[]&gt;</c> keyed by scope and key; the store does more — it
/// checks each entry's checksum, decodes versions and expiry, and builds its scope tree, and SQLite's default open first
/// checks the file's structure (<c>quick_check</c>), so SQLite is also opened without that check. SQLite's file is scanned
/// two ways: through Microsoft.Data.Sqlite's reader, and through SQLite's own API (SQLitePCL), as the store reads it.
/// Samples alternate, three of each. <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- open [--quick] [--dir path]</c>.
/// </summary>
internal static class OpenBenchmarks
{
    private static WeakReference? _lastStore;

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var root = ChildProcess.HarnessDirectory(args, "open");
        var entries = quick ? 100_000 : 1_000_000;
        var rows = new List<string>();
        // SQLite's default open first runs SQLite's quick_check over the whole file (VerifyOnOpen), which no raw scan
        // does: it is also opened without the check, the like-for-like row.
        foreach (var (name, create, createUnchecked, scanners) in new (string, Func<string, IStateBackend>, Func<string, IStateBackend>?, (string Label, Func<string, Dictionary<string, byte[]>> Scan)[])[]
        {
            ("SQLite", path => new SqliteStateBackend(path + ".db"), path => new SqliteStateBackend(new SqliteStateBackendOptions { Path = path + ".db", VerifyOnOpen = false }), [("raw scan of the same file into a dictionary", ScanSqlite), ("the same scan through SQLite's own API", ScanSqliteNative)]),
            ("RocksDB", path => new RocksDbStateBackend(path), null, [("raw scan of the same file into a dictionary", ScanRocks)]),
        })
        {
            var path = DurableBenchmarks.Fresh(root, "open");
            try
            {
                await FillAsync(create(path), entries);
                var opens = new List<double>();
                var uncheckedOpens = new List<double>();
                var scans = scanners.Select(_ => new List<double>()).ToArray();
                var storeBytes = new List<double>();
                var copyBytes = new List<double>();
                for (var i = 0; i < 3; i++)
                {
                    for (var s = 0; s < scanners.Length; s++)
                    {
                        var (scanMs, copyHeld, scanned) = Timed(() => scanners[s].Scan(path));
                        if (scanned != entries)
                        {
                            throw new InvalidOperationException($"{name}: the raw scan found {scanned} entries, not {entries}");
                        }

                        scans[s].Add(scanMs);
                        if (s == 0)
                        {
                            copyBytes.Add(copyHeld / entries);
                        }
                    }

                    var (openMs, storeHeld) = await OpenAsync(create(path), entries);
                    opens.Add(openMs);
                    storeBytes.Add(storeHeld / entries);
                    if (createUnchecked is not null)
                    {
                        uncheckedOpens.Add((await OpenAsync(createUnchecked(path), entries)).Milliseconds);
                    }
                }

                foreach (var (what, times) in createUnchecked is null
                    ? new[] { ("open a store", opens) }
                    : [("open a store", opens), ("open a store without the structure check (VerifyOnOpen = false; like for like with a scan)", uncheckedOpens)])
                {
                    for (var s = 0; s < scanners.Length; s++)
                    {
                        var open = new Measurement("×", times.Zip(scans[s], (o, c) => o / c).ToList());
                        rows.Add($"| {name}: {what} of {entries:N0} keys (~100-byte values) | {new Measurement("ms", times).Describe()} | {scanners[s].Label}: {new Measurement("ms", scans[s]).Describe()} | {open.Describe()} | ≤ 1.5× | {(open.Median <= 1.5 ? "pass" : "miss")} |");
                        Console.WriteLine(rows[^1]);
                    }
                }

                var memory = new Measurement("×", storeBytes.Zip(copyBytes, (f, c) => f / c).ToList());
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
        await ForgetLastStoreAsync();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();
        var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = backend });
        var elapsed = watch.Elapsed.TotalMilliseconds;
        _lastStore = new WeakReference(store);
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

    /// <summary>
    /// Waits until the store of the last sample is collected: an idle thread-pool thread can keep the last work item it
    /// ran for the store reachable until it runs another, and the next sample would count that store as memory held
    /// before it opened.
    /// </summary>
    private static async Task ForgetLastStoreAsync()
    {
        for (var i = 0; _lastStore is { IsAlive: true }; i++)
        {
            if (i == 100)
            {
                throw new InvalidOperationException("the store of the last sample is still reachable after it was disposed");
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount * 4).Select(_ => Task.Run(() => { })));
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

    /// <summary>The scan of <see cref="ScanSqlite"/> through SQLite's own API: each row's text and blob read where SQLite holds them.</summary>
    private static Dictionary<string, byte[]> ScanSqliteNative(string path)
    {
        var copies = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var connection = new SqliteConnection($"Data Source={path}.db;Mode=ReadOnly;Pooling=False");
        connection.Open();
        Span<byte> name = stackalloc byte[1024]; // the benchmark's scopes and keys are short
        foreach (var table in new[] { "flowstate_entries", "flowstate_log" })
        {
            if (raw.sqlite3_prepare_v2(connection.Handle, $"SELECT scope, key, value FROM {table};", out var statement) != raw.SQLITE_OK)
            {
                throw new InvalidOperationException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string());
            }

            using (statement)
            {
                int result;
                while ((result = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                {
                    // Scope, a line feed and key decoded into one string: one allocation for the dictionary's key.
                    var scope = raw.sqlite3_column_blob(statement, 0);
                    var key = raw.sqlite3_column_blob(statement, 1);
                    scope.CopyTo(name);
                    name[scope.Length] = (byte)'\n';
                    key.CopyTo(name[(scope.Length + 1)..]);
                    copies[Encoding.UTF8.GetString(name[..(scope.Length + 1 + key.Length)])] = raw.sqlite3_column_blob(statement, 2).ToArray();
                }

                if (result != raw.SQLITE_DONE)
                {
                    throw new InvalidOperationException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string());
                }
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
        _lastStore = new WeakReference(store);
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
