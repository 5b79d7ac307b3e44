using System.Diagnostics;
using System.Globalization;
using FlowState.Sqlite;
using Microsoft.Data.Sqlite;

namespace FlowState.Benchmarks.Durable;

/// <summary>
/// The backup catalog on a SQLite store of 1M keys (~100-byte values): a full catalog backup beside an export of the
/// same store (the same JSON-lines work without the key list and catalog) and beside the backend's own copy
/// (<c>VACUUM INTO</c>); an incremental backup after 1% of the keys changed beside the full one; and a restore of the
/// full backup that undoes that 1% (the whole chain read and checked, the store compared, the difference written in
/// one batch). Three repetitions; each backup is fsynced as the catalog writes it, the export is fsynced too. A full
/// backup counts its key list; an incremental one has none.
/// <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- backups [--quick] [--dir path]</c>.
/// </summary>
internal static class BackupCatalogBenchmarks
{
    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var root = ChildProcess.HarnessDirectory(args, "backups");
        var entries = quick ? 100_000 : 1_000_000;
        var path = DurableBenchmarks.Fresh(root, "backups");
        var catalogFolder = path + ".catalog";
        var (full, export, copy, incremental, restore) = (new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>());
        var (fullBytes, exportBytes, copyBytes, incrementalBytes) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        try
        {
            await OpenBenchmarks.FillAsync(new SqliteStateBackend(path + ".db"), entries);
            await using var store = await StateStore.OpenAsync(new StateStoreOptions { Backend = new SqliteStateBackend(path + ".db") });
            for (var round = 0; round < 3; round++)
            {
                var catalog = new StateBackupCatalog(catalogFolder + round.ToString(CultureInfo.InvariantCulture));
                var (fullMs, fullRecord) = await TimedAsync(() => catalog.CreateAsync(store, StateBackupKind.Full));
                full.Add(fullMs);
                fullBytes.Add(fullRecord.Bytes + new FileInfo(Path.Combine(catalog.Directory, fullRecord.Id.ToString("D6", CultureInfo.InvariantCulture) + ".keys")).Length);

                var exportPath = Path.Combine(root, $"export-{round}.jsonl");
                var (exportMs, _) = await TimedAsync(async () =>
                {
                    await using var file = new FileStream(exportPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                    await store.ExportAsync(file);
                    file.Flush(flushToDisk: true);
                    return 0;
                });
                export.Add(exportMs);
                exportBytes.Add(new FileInfo(exportPath).Length);
                File.Delete(exportPath);

                var copyPath = Path.Combine(root, $"copy-{round}.db");
                var (copyMs, _) = await TimedAsync(async () =>
                {
                    await store.BackupAsync(copyPath);
                    return 0;
                });
                copy.Add(copyMs);
                copyBytes.Add(new FileInfo(copyPath).Length);
                File.Delete(copyPath);

                await ChangeAsync(store, entries, round);
                var (incrementalMs, incrementalRecord) = await TimedAsync(() => catalog.CreateAsync(store));
                if (incrementalRecord.Kind != StateBackupKind.Incremental || incrementalRecord.Entries != entries / 100)
                {
                    throw new InvalidOperationException($"the incremental backup holds {incrementalRecord.Entries} entries ({incrementalRecord.Kind}), not {entries / 100}");
                }

                incremental.Add(incrementalMs);
                incrementalBytes.Add(incrementalRecord.Bytes); // an incremental backup has no key list

                var (restoreMs, result) = await TimedAsync(() => catalog.RestoreAsync(store, StateRestorePoint.Backup(fullRecord.Id), backUpCurrentState: false));
                if (result.Plan.Changed != entries / 100)
                {
                    throw new InvalidOperationException($"the restore changed {result.Plan.Changed} keys, not {entries / 100}");
                }

                restore.Add(restoreMs);
                Directory.Delete(catalog.Directory, recursive: true);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            DurableBenchmarks.Remove(path);
        }

        static string Ratio(List<double> a, List<double> b) => new Measurement("×", a.Zip(b, (x, y) => x / y).ToList()).Describe();
        var keys = entries.ToString("N0", CultureInfo.InvariantCulture);
        var rows = new List<string>
        {
            $"| full catalog backup of {keys} keys (file + key list) | {new Measurement("ms", full).Describe()}, {new Measurement("B", fullBytes).Describe()} | export of the same store (fsynced): {new Measurement("ms", export).Describe()}, {new Measurement("B", exportBytes).Describe()} | time {Ratio(full, export)}, size {Ratio(fullBytes, exportBytes)} |",
            $"| full catalog backup | as above | the backend's own copy (`VACUUM INTO`): {new Measurement("ms", copy).Describe()}, {new Measurement("B", copyBytes).Describe()} | time {Ratio(full, copy)}, size {Ratio(fullBytes, copyBytes)} |",
            $"| incremental backup after 1% of the keys changed | {new Measurement("ms", incremental).Describe()}, {new Measurement("B", incrementalBytes).Describe()} | the full catalog backup: as above | time {Ratio(incremental, full)}, size {Ratio(incrementalBytes, fullBytes)} |",
            $"| restore of the full backup undoing that 1% (chain read and checked, store compared, one batch) | {new Measurement("ms", restore).Describe()} | the full catalog backup: as above | time {Ratio(restore, full)} |",
        };
        foreach (var row in rows)
        {
            Console.WriteLine(row);
        }

        ResultsTable.Print("| operation | FlowState (median, min–max) | baseline (same run) | ratio |", rows, Path.Combine(root, "backups-results.md"));
        return 0;
    }

    private static async Task<(double Milliseconds, T Result)> TimedAsync<T>(Func<Task<T>> work)
    {
        var watch = Stopwatch.StartNew();
        var result = await work();
        return (watch.Elapsed.TotalMilliseconds, result);
    }

    /// <summary>Changes every hundredth key (1%), in batches of 1,000.</summary>
    private static async Task ChangeAsync(StateStore store, int entries, int round)
    {
        for (var i = 0; i < entries; i += 100_000)
        {
            var batch = store.CreateBatch();
            for (var j = i; j < i + 100_000 && j < entries; j += 100)
            {
                batch.Within(StateScope.Workflow("run-" + (j / 1000 % 100).ToString(CultureInfo.InvariantCulture)))
                    .Set("k" + j.ToString(CultureInfo.InvariantCulture), $"changed in round {round}");
            }

            await store.ApplyAsync(batch);
        }
    }
}
