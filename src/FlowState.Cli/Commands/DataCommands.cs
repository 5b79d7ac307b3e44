using System.CommandLine;
using System.Globalization;
using FlowState.RocksDb;
using FlowState.Sqlite;

namespace FlowState.Cli.Commands;

/// <summary><c>flowstate backup|restore|export|import|stats</c>.</summary>
internal static class DataCommands
{
    public static IEnumerable<Command> Create(TextWriter output, TextWriter error)
    {
        yield return BackupCommands.Create(output, error);
        yield return Restore(output, error);
        yield return Export(output, error);
        yield return Import(output, error);
        yield return Stats(output, error);
    }

    private static Command Restore(TextWriter output, TextWriter error)
    {
        var source = new Argument<string>("backup") { Description = "a copy taken by 'flowstate backup copy' (sqlite:<file>, rocksdb:<directory>, or a path); it is checked and never written to" };
        var command = new Command("restore", "copy every entry of a copy taken by 'flowstate backup copy' into a new, empty store (--store)") { source };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var target = StoreLocation.Parse(parse.GetValue(CliOptions.Store));
            if (target.Exists)
            {
                throw new CliException($"the store {target} exists; restore into a new one (--store) and move it into place");
            }

            var location = StoreLocation.Parse(parse.GetValue(source));
            StateBackupInfo info;
            try
            {
                info = location.Kind switch
                {
                    "sqlite" => SqliteStateBackend.VerifyBackup(location.Path),
                    "rocksdb" => RocksDbStateBackend.VerifyBackup(location.Path),
                    _ => throw new CliException($"restore reads backups of SQLite files and RocksDB directories; {location} is neither"),
                };
            }
            catch (IOException ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new CliException(ex.Message);
            }

            // Opening a store writes to its files (recovery, schema): the backup is opened from a copy, never itself.
            using var buffer = new MemoryStream();
            var work = Directory.CreateTempSubdirectory("flowstate-restore-");
            try
            {
                var copy = Path.Combine(work.FullName, Path.GetFileName(location.Path));
                if (location.Kind == "rocksdb")
                {
                    Directory.CreateDirectory(copy);
                    foreach (var file in Directory.EnumerateFiles(location.Path))
                    {
                        File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
                    }
                }
                else
                {
                    File.Copy(location.Path, copy);
                }

                await using var backup = await (location with { Path = copy }).OpenAsync(mustExist: true, cancellationToken);
                await backup.ExportAsync(buffer, cancellationToken);
            }
            finally
            {
                work.Delete(recursive: true);
            }

            buffer.Position = 0;
            await using var store = await target.OpenAsync(mustExist: false, cancellationToken);
            var count = await store.ImportAsync(buffer, cancellationToken);
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"restored {count} entries into {target} from the backup of {info.Source} taken {info.CompletedAt:yyyy-MM-dd HH:mm:ss} UTC"));
            return 0;
        });
        return command;
    }

    private static Command Export(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("file") { Description = "the JSON-lines file to write (a new file; - for standard output)" };
        var command = new Command("export", "write every entry to a portable, checksummed JSON-lines file") { file };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            if (parse.GetValue(file) == "-")
            {
                // Standard output carries the export alone; the count goes to standard error.
                long written;
                await using (var stdout = new TextWriterStream(console.Out))
                {
                    written = await store.ExportAsync(stdout, cancellationToken);
                }

                await console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"exported {written} entries to standard output"));
                return 0;
            }

            var path = Path.GetFullPath(parse.GetValue(file)!);
            long count;
            await using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            {
                // One line per entry, between a header line and a trailer line.
                count = await console.WithProgressAsync($"exporting to {path}", store.GetStatistics().Entries + 2, async progress =>
                {
                    await using var counted = new ProgressStream(stream, progress, countLines: true);
                    return await store.ExportAsync(counted, cancellationToken);
                });
            }

            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"exported {count} entries to {path}"));
            return 0;
        });
        return command;
    }

    private static Command Import(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("file") { Description = "a file written by 'flowstate export' (- for standard input)" };
        var command = new Command("import", "write the entries of an export into the store (all or nothing)") { file };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            if (parse.GetValue(file) == "-")
            {
                await using var target = await parse.OpenStoreAsync(mustExist: false, cancellationToken);
                await using var stdin = Console.OpenStandardInput();
                var read = await target.ImportAsync(stdin, cancellationToken);
                await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"imported {read} entries from standard input"));
                return 0;
            }

            var path = Path.GetFullPath(parse.GetValue(file)!);
            if (!File.Exists(path))
            {
                throw new CliException($"there is no export at {path}");
            }

            await using var store = await parse.OpenStoreAsync(mustExist: false, cancellationToken);
            await using var stream = File.OpenRead(path);
            var count = await console.WithProgressAsync($"importing {path}", stream.Length, async progress =>
            {
                await using var counted = new ProgressStream(stream, progress, countLines: false);
                return await store.ImportAsync(counted, cancellationToken);
            });
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"imported {count} entries from {path}"));
            return 0;
        });
        return command;
    }

    private static Command Stats(TextWriter output, TextWriter error)
    {
        var command = new Command("stats", "entries and bytes, in all and per top-level scope") { CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            var perScope = new SortedDictionary<string, (long Entries, long Bytes)>(StringComparer.Ordinal);
            await foreach (var key in store.ListAllAsync(null, cancellationToken))
            {
                var top = key.Scope;
                while (top.Parent is { IsGlobal: false } parent)
                {
                    top = parent;
                }

                var entry = await store.For(key.Scope).GetEntryAsync(key.Key, cancellationToken);
                var name = top.IsGlobal ? "(global)" : top.Kind == ScopeSegmentKind.Workflow ? "workflow:*" : top.Path;
                var (entries, bytes) = perScope.GetValueOrDefault(name);
                perScope[name] = (entries + 1, bytes + (entry?.Size ?? 0));
            }

            var total = store.GetStatistics();
            if (console.Json)
            {
                await console.WriteDocumentAsync(new
                {
                    scopes = perScope.Select(p => new { scope = p.Key, entries = p.Value.Entries, bytes = p.Value.Bytes }),
                    total = new { entries = total.Entries, bytes = total.Bytes },
                    version = store.CurrentVersion,
                });
                return 0;
            }

            console.Table(
                ["scope", "entries", "bytes"],
                perScope.Select(p => new[] { p.Key, p.Value.Entries.ToString(CultureInfo.InvariantCulture), p.Value.Bytes.ToString(CultureInfo.InvariantCulture) })
                    .Append(["total", total.Entries.ToString(CultureInfo.InvariantCulture), total.Bytes.ToString(CultureInfo.InvariantCulture)]));
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{perScope.GetValueOrDefault("workflow:*").Entries} entries in flow runs; version {store.CurrentVersion}"));
            return 0;
        });
        return command;
    }
}
