using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using FlowState.Checkpoints;
using FlowState.Cli.ExampleFlows;
using FlowState.Cli.Streams;
using FlowState.Inspector;
using FlowState.Postgres;
using FlowState.RocksDb;
using FlowState.Sqlite;

namespace FlowState.Cli.Commands;

/// <summary><c>flowstate serve</c>: the inspector (web page and HTTP API) over a store, until Ctrl+C.</summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var host = new Option<string>("--host") { Description = "the address to listen on (default 127.0.0.1: this machine only)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "the port (default 7171; 0 picks a free one)", DefaultValueFactory = _ => 7171 };
        var allowWrites = new Option<bool>("--allow-writes") { Description = "serve the write actions too: resume runs of the bundled flows, answer interrupts, fork runs, edit keys, delete and prune runs (the store is opened for writing, so no other process can write it meanwhile)" };
        var token = new Option<string?>("--token") { Description = "the access token (default: a new random one, printed; or FLOWSTATE_INSPECTOR_TOKEN)" };
        var redact = new Option<string[]>("--redact") { Description = "hide the values of keys matching this pattern ('*' is a wildcard), e.g. --redact '*password*'; repeatable", AllowMultipleArgumentsPerToken = false };
        var pipelines = new Option<string[]>("--pipeline") { Description = "a pipeline file (YAML) whose checkpoints to list too; repeatable" };
        var command = new Command("serve", "the inspector: a web page and an HTTP API over the store's runs, state and history") { host, port, allowWrites, token, redact, pipelines };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            if (!IPAddress.TryParse(parse.GetValue(host), out var address))
            {
                throw new CliUsageException($"--host must be an IP address such as 127.0.0.1, not '{parse.GetValue(host)}'");
            }

            var portNumber = parse.GetValue(port);
            if (portNumber is < 0 or > 65535)
            {
                throw new CliUsageException($"--port must be between 0 and 65535, not {portNumber}");
            }

            var writes = parse.GetValue(allowWrites);
            var accessToken = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("FLOWSTATE_INSPECTOR_TOKEN") ?? RandomNumberGenerator.GetHexString(32, lowercase: true);
            var checkpoints = new Dictionary<string, ICheckpointStorage>(StringComparer.Ordinal);
            foreach (var path in parse.GetValue(pipelines) ?? [])
            {
                var file = PipelineFile.Load(path);
                file.RequireCheckpoints();
                if (file.CheckpointDirectory is { } folder && !Directory.Exists(folder))
                {
                    throw new CliException($"pipeline {file.Options.Name} has no checkpoints yet ({file.CheckpointDirectory} does not exist); run it first");
                }

                if (!checkpoints.TryAdd(file.Options.Name, file.OpenCheckpointStorage()))
                {
                    throw new CliUsageException($"two --pipeline files name pipeline '{file.Options.Name}'");
                }
            }

            var location = StoreLocation.Parse(parse.GetValue(CliOptions.Store));
            await using var inspected = await OpenAsync(location, writes, cancellationToken);

            await using var server = await FlowStateInspectorServer.StartAsync(inspected, new IPEndPoint(address, portNumber), options =>
            {
                options.AccessToken = accessToken;
                options.AllowWrites = writes;
                foreach (var pattern in parse.GetValue(redact) ?? [])
                {
                    options.RedactedKeys.Add(pattern);
                }

                foreach (var (name, storage) in checkpoints)
                {
                    options.Pipelines[name] = storage;
                }

                // The bundled flows' code is here, so their runs can be resumed from the page.
                foreach (var bundled in BundledFlow.All.Values)
                {
                    options.Flows.Add(bundled.Build());
                }
            }, cancellationToken);
            var bound = server.Address.ToString().TrimEnd('/');
            await console.Out.WriteLineAsync($"FlowState Inspector on {location} ({(writes ? "writes allowed" : "read-only")}): {bound}/#token={accessToken}");
            if (!IPAddress.IsLoopback(address))
            {
                await console.Error.WriteLineAsync($"warning: listening on {address}, not only this machine: anyone who reaches it and has the token sees the store{(writes ? " and can change it" : string.Empty)}");
            }

            await console.Out.FlushAsync(cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C: stop serving, then close the store.
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// The store to show. Read-only, a SQLite file, RocksDB directory or PostgreSQL table is opened without a lock and
    /// reopened whenever it changed, so that runs another process is making appear as they go.
    /// </summary>
    private static async Task<InspectedStore> OpenAsync(StoreLocation location, bool writes, CancellationToken cancellationToken)
    {
        if (location.IsShared)
        {
            return new InspectedStore(await location.OpenSharedAsync(cancellationToken));
        }

        if (writes)
        {
            var store = await location.OpenAsync(mustExist: location.Kind != "postgres", cancellationToken);
            return new InspectedStore(store, FlowStateCli.Runner(store), location.ToString());
        }

        if (location.Kind == "postgres")
        {
            // Without the table's lock: the app writing the table goes on, and each change is loaded as it comes.
            var stamp = new PostgresChangeStamp(location.Connection!, location.Path);
            return InspectedStore.Reopening(
                location.ToString(),
                async token => await StateStore.OpenAsync(
                    new StateStoreOptions { Backend = new PostgresStateBackend(new PostgresStateBackendOptions { ConnectionString = location.Connection!, Table = location.Path, ReadOnly = true }) },
                    cancellationToken: token),
                stamp.ReadAsync,
                FlowStateCli.Runner);
        }

        if (!location.Exists)
        {
            throw new CliException($"there is no {location.Kind} store at {location.Path}; pass --store, or run a flow first to create one");
        }

        var opened = 0;
        var log = location.Kind == "rocksdb" ? null : new SqliteLogWatch(location.Path);
        var inspected = InspectedStore.Reopening(
            location.ToString(),
            async token => await StateStore.OpenAsync(
                new StateStoreOptions
                {
                    // The first open checks the file; later ones only see newer writes of the same file.
                    Backend = location.Kind == "rocksdb"
                        ? new RocksDbStateBackend(new RocksDbStateBackendOptions { Path = location.Path, ReadOnly = true })
                        : new SqliteStateBackend(new SqliteStateBackendOptions { Path = location.Path, ReadOnly = true, VerifyOnOpen = Interlocked.Increment(ref opened) == 1 }),
                },
                cancellationToken: token),
            () => log is null ? ChangeStamp(location) : $"{ChangeStamp(location)};log:{log.Stamp()}",
            FlowStateCli.Runner);
        return inspected;
    }

    // Sizes and write times of the store's files: a writer changes at least one of them with every commit it makes
    // (SQLite's write-ahead log files, written over in place, are followed by SqliteLogWatch instead).
    private static string ChangeStamp(StoreLocation location)
    {
        IEnumerable<FileInfo> files = location.Kind == "rocksdb"
            ? new DirectoryInfo(location.Path).EnumerateFiles()
            : [new FileInfo(location.Path), new FileInfo(location.Path + "-wal")];
        return string.Join(';', files.Where(f => f.Exists).OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}")));
    }
}
