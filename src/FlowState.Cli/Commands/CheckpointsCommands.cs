using System.CommandLine;
using System.Globalization;
using FlowState.Checkpoints;
using FlowState.Cli.Streams;
using FlowState.Streaming;

namespace FlowState.Cli.Commands;

/// <summary>
/// <c>flowstate checkpoints list|show|restore|savepoint|restore-savepoint &lt;pipeline.yaml&gt;</c>: the complete
/// checkpoints of a pipeline file's storage, rolling the pipeline back to one of them, and savepoints.
/// </summary>
internal static class CheckpointsCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var checkpoints = new Command("checkpoints", "the checkpoints of a stream pipeline");
        checkpoints.Subcommands.Add(List(output, error));
        checkpoints.Subcommands.Add(Show(output, error));
        checkpoints.Subcommands.Add(Restore(output, error));
        checkpoints.Subcommands.Add(Savepoint(output, error));
        checkpoints.Subcommands.Add(RestoreSavepoint(output, error));
        return checkpoints;
    }

    private static Command List(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("pipeline") { Description = "the pipeline file (.yaml)" };
        var command = new Command("list", "every complete checkpoint, oldest first") { file, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var manifests = await LoadAsync(parse.GetValue(file)!, cancellationToken);
            if (console.Json)
            {
                await console.WriteDocumentAsync(new { checkpoints = manifests });
                return 0;
            }

            var rows = manifests.Select(m => new[]
            {
                m.Id.ToString(CultureInfo.InvariantCulture),
                m.Incremental ? $"increment of {m.ParentId}" : "full",
                m.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                m.Entries.ToString(CultureInfo.InvariantCulture),
                m.Bytes.ToString(CultureInfo.InvariantCulture),
                m.DurationMilliseconds.ToString("0.0", CultureInfo.InvariantCulture),
                string.Join(", ", m.SourceOffsets.Select(o => $"{o.Key}@{o.Value ?? "0"}")),
            }).ToList();
            console.Table(["id", "kind", "completed", "entries", "bytes", "ms", "source offsets"], rows);
            await console.Out.WriteLineAsync($"{rows.Count} checkpoint(s)");
            return 0;
        });
        return command;
    }

    private static Command Show(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("pipeline") { Description = "the pipeline file (.yaml)" };
        var id = new Argument<long>("id") { Description = "the checkpoint id" };
        var command = new Command("show", "a checkpoint's manifest: offsets, state files, sink transactions") { file, id, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var wanted = parse.GetValue(id);
            var manifest = (await LoadAsync(parse.GetValue(file)!, cancellationToken)).FirstOrDefault(m => m.Id == wanted)
                ?? throw new CliException($"there is no complete checkpoint {wanted}; 'flowstate checkpoints list' shows the ones there are");
            await console.WriteDocumentAsync(manifest);
            return 0;
        });
        return command;
    }

    private static Command Restore(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("pipeline") { Description = "the pipeline file (.yaml)" };
        var id = new Argument<long>("id") { Description = "the checkpoint to go back to" };
        var keepOutput = new Option<bool>("--keep-output") { Description = "keep the output committed after the checkpoint (the next run writes it again)" };
        var yes = new Option<bool>("--yes", "-y") { Description = "remove without asking (needed when standard input is not a terminal)" };
        var command = new Command("restore", "roll the pipeline back to a checkpoint: later checkpoints and their committed output are removed, and the next run starts from it")
        {
            file, id, keepOutput, yes,
        };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var wanted = parse.GetValue(id);
            var later = (await LoadAsync(parse.GetValue(file)!, cancellationToken)).Where(m => m.Id > wanted).Select(m => m.Id).Order().ToList();
            if (later.Count > 0
                && !await console.ConfirmRemovalAsync(
                    string.Create(CultureInfo.InvariantCulture, $"checkpoint(s) {string.Join(", ", later)}{(parse.GetValue(keepOutput) ? string.Empty : " and the output they committed")}"),
                    parse.GetValue(yes)))
            {
                return 1;
            }

            var removed = await WithPipelineAsync(parse.GetValue(file)!, pipeline => pipeline.RollBackToCheckpointAsync(wanted, parse.GetValue(keepOutput), cancellationToken));
            await console.Out.WriteLineAsync(removed.Count == 0
                ? string.Create(CultureInfo.InvariantCulture, $"checkpoint {wanted} is already the latest; the next run starts from it")
                : string.Create(CultureInfo.InvariantCulture, $"rolled back to checkpoint {wanted}: removed checkpoint(s) {string.Join(", ", removed)}{(parse.GetValue(keepOutput) ? " (their output kept)" : " and their output")}; the next run starts from {wanted}"));
            return 0;
        });
        return command;
    }

    private static Command Savepoint(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("pipeline") { Description = "the pipeline file (.yaml)" };
        var folder = new Argument<string>("folder") { Description = "a new or empty folder for the savepoint" };
        var command = new Command("savepoint", "copy the latest checkpoint (with the ones it builds on) into a folder of its own, where retention never removes it") { file, folder };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var destination = Path.GetFullPath(parse.GetValue(folder)!);
            var id = await WithPipelineAsync(parse.GetValue(file)!, pipeline => pipeline.CreateSavepointAsync(new DirectoryCheckpointStorage(destination), cancellationToken));
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"savepoint of checkpoint {id} in {destination}; 'flowstate checkpoints restore-savepoint' starts a pipeline from it"));
            return 0;
        });
        return command;
    }

    private static Command RestoreSavepoint(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("pipeline") { Description = "the pipeline file (.yaml) whose checkpoint folder is still empty" };
        var folder = new Argument<string>("folder") { Description = "the savepoint's folder" };
        var command = new Command("restore-savepoint", "start a pipeline from a savepoint: it is copied into the pipeline's checkpoint folder (which must be empty), and the next run starts from it, with any partition count") { file, folder };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var source = Path.GetFullPath(parse.GetValue(folder)!);
            if (!System.IO.Directory.Exists(source))
            {
                throw new CliException($"there is no savepoint folder '{source}'; 'flowstate checkpoints savepoint' makes one");
            }

            var id = await WithPipelineAsync(parse.GetValue(file)!, pipeline => pipeline.RestoreSavepointAsync(new DirectoryCheckpointStorage(source), cancellationToken));
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"restored the savepoint of checkpoint {id}; the next run starts from it"));
            return 0;
        });
        return command;
    }

    private static Task<IReadOnlyList<CheckpointManifest>> LoadAsync(string path, CancellationToken cancellationToken) =>
        WithPipelineAsync(path, pipeline => pipeline.ListCheckpointsAsync(cancellationToken));

    private static async Task<T> WithPipelineAsync<T>(string path, Func<StreamPipeline, Task<T>> use)
    {
        var file = PipelineFile.Load(path);
        file.RequireCheckpoints();

        // Only the checkpoint storage and the sinks are used: the pipeline is built on a throwaway in-memory store and never run.
        await using var store = new StateStore();
        await using var pipeline = file.Build(store);
        return await use(pipeline);
    }
}
