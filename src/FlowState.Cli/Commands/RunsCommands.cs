using System.CommandLine;
using System.Globalization;
using FlowState.Cli.ExampleFlows;
using FlowState.Flows;

namespace FlowState.Cli.Commands;

/// <summary><c>flowstate runs list|show|history|resume|fork|delete|prune</c>: flow runs, their state and their history.</summary>
internal static class RunsCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var runs = new Command("runs", "flow runs and their history");
        runs.Subcommands.Add(List(output, error));
        runs.Subcommands.Add(Show(output, error));
        runs.Subcommands.Add(History(output, error));
        runs.Subcommands.Add(Resume(output, error));
        runs.Subcommands.Add(Fork(output, error));
        runs.Subcommands.Add(Delete(output, error));
        runs.Subcommands.Add(Prune(output, error));
        return runs;
    }

    private static Command List(TextWriter output, TextWriter error)
    {
        var flow = new Option<string?>("--flow") { Description = "only runs of this flow" };
        var status = new Option<FlowRunStatus?>("--status") { Description = "only runs in this state (running, completed, failed, interrupted, cancelled)" };
        var limit = new Option<int>("--limit") { Description = "show at most this many runs, newest first (default 100)", DefaultValueFactory = _ => 100 };
        limit.Validators.Add(result =>
        {
            if (result.TryGetValue(limit, out var value) && value < 1)
            {
                result.AddError("--limit must be at least 1.");
            }
        });
        var command = new Command("list", "the runs the store keeps, newest first") { flow, status, limit, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            var page = await FlowStateCli.Runner(store).QueryRunsAsync(
                new FlowRunQuery { Flow = parse.GetValue(flow), Status = parse.GetValue(status), Limit = parse.GetValue(limit) },
                cancellationToken);
            if (console.Json)
            {
                await console.WriteDocumentAsync(new { total = page.Total, statusCounts = page.StatusCounts, runs = page.Runs });
                return 0;
            }

            var rows = page.Runs.Select(run => new[] { run.RunId, run.FlowName, Status(run.Status), run.Steps.ToString(CultureInfo.InvariantCulture), Time(run.StartedAt), Time(run.UpdatedAt) });
            console.Table(["run", "flow", "status", "steps", "started", "updated"], rows);
            await console.Out.WriteLineAsync(page.Runs.Count == page.Total
                ? string.Create(CultureInfo.InvariantCulture, $"{page.Total} run(s)")
                : string.Create(CultureInfo.InvariantCulture, $"{page.Runs.Count} of {page.Total} run(s), newest first; --limit {page.Total} shows them all"));
            return 0;
        });
        return command;
    }

    private static Command Show(TextWriter output, TextWriter error)
    {
        var runId = new Argument<string>("run");
        var command = new Command("show", "a run's status and state") { runId, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            var runner = FlowStateCli.Runner(store);
            var run = await FindAsync(runner, parse.GetValue(runId)!, cancellationToken);
            var state = await runner.Runs.GetStateAsync(run.RunId, cancellationToken);
            if (console.Json)
            {
                await console.WriteDocumentAsync(new { run, state });
                return 0;
            }

            await console.Out.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"run {run.RunId}: flow {run.FlowName}, {Status(run.Status)}, {run.Steps} step(s), started {Time(run.StartedAt)}, updated {Time(run.UpdatedAt)}"));
            if (run.ForkedFromRun is not null)
            {
                await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"forked from run {run.ForkedFromRun} after step {run.ForkedFromStep}"));
            }

            if (run.Error is not null)
            {
                await console.Out.WriteLineAsync($"error: {run.Error}");
            }

            await console.Out.WriteLineAsync("state:");
            await console.WriteJsonAsync(state);
            return 0;
        });
        return command;
    }

    private static Command History(TextWriter output, TextWriter error)
    {
        var runId = new Argument<string>("run");
        var command = new Command("history", "a run's steps (checkpoints) and what each changed") { runId, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            var runner = FlowStateCli.Runner(store);
            var run = await FindAsync(runner, parse.GetValue(runId)!, cancellationToken);
            var history = await runner.GetHistoryAsync(run.RunId, cancellationToken);
            if (console.Json)
            {
                await console.WriteDocumentAsync(new { runId = run.RunId, checkpoints = history });
                return 0;
            }

            var rows = history.Select(c => new[]
            {
                c.Index.ToString(CultureInfo.InvariantCulture),
                c.NodeName ?? (c.Index == 0 ? "(start)" : "(update)"),
                c.Action ?? string.Empty,
                Time(c.At),
                string.Join(", ", c.Changes.Select(ch => (ch.Step is null ? string.Empty : $"step:{ch.Step}:") + ch.Key + (ch.Value is null ? " (deleted)" : string.Empty))),
            }).ToList();
            console.Table(["step", "node", "action", "at", "changed"], rows);
            await console.Out.WriteLineAsync($"{rows.Count} checkpoint(s)");
            return 0;
        });
        return command;
    }

    private static Command Resume(TextWriter output, TextWriter error)
    {
        var runId = new Argument<string>("run");
        var command = new Command("resume", "continue a run that did not complete (bundled flows)") { runId };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            var runner = FlowStateCli.Runner(store);
            var run = await FindAsync(runner, parse.GetValue(runId)!, cancellationToken);
            var bundled = BundledFlow.Find(run.FlowName);
            var result = await runner.ResumeAsync(bundled.Build(), run.RunId, cancellationToken: cancellationToken);
            await console.Out.WriteLineAsync($"run {run.RunId} {Status(result.Status)}: {result.Steps} step(s) this time");
            await bundled.PrintResultAsync(console, result.State, ["result", "value"]);
            return 0;
        });
        return command;
    }

    private static Command Fork(TextWriter output, TextWriter error)
    {
        var runId = new Argument<string>("run");
        var step = new Argument<long>("step") { Description = "the checkpoint to fork from (see 'runs history')" };
        var newId = new Option<string?>("--run-id") { Description = "the new run's id (default: a new one)" };
        var command = new Command("fork", "start a new run from a step of another (resume it with 'runs resume')") { runId, step, newId };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            var runner = FlowStateCli.Runner(store);
            var run = await FindAsync(runner, parse.GetValue(runId)!, cancellationToken);
            var fork = await runner.ForkAsync(run.RunId, parse.GetValue(step), parse.GetValue(newId), cancellationToken);
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"forked run {fork} from step {parse.GetValue(step)} of {run.RunId}; continue it with: flowstate runs resume {fork}"));
            return 0;
        });
        return command;
    }

    private static Command Delete(TextWriter output, TextWriter error)
    {
        var runId = new Argument<string>("run");
        var yes = new Option<bool>("--yes", "-y") { Description = "delete without asking (needed when standard input is not a terminal)" };
        var command = new Command("delete", "delete a run: its state, records and history") { runId, yes };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            var runner = FlowStateCli.Runner(store);
            var run = await FindAsync(runner, parse.GetValue(runId)!, cancellationToken);
            if (!await console.ConfirmRemovalAsync($"run {run.RunId} ({run.FlowName}, {Status(run.Status)}) with its state and history", parse.GetValue(yes)))
            {
                return 1;
            }

            await runner.DeleteRunAsync(run.RunId, cancellationToken);
            await console.Out.WriteLineAsync($"deleted run {run.RunId}");
            return 0;
        });
        return command;
    }

    private static Command Prune(TextWriter output, TextWriter error)
    {
        var olderThanDays = new Option<double?>("--older-than-days") { Description = "only runs not updated for this many days" };
        olderThanDays.Validators.Add(result =>
        {
            if (result.TryGetValue(olderThanDays, out var value) && value is { } days && (double.IsNaN(days) || days < 0 || days > 36_500))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--older-than-days must be a number of days from 0 to 36500; got {days}."));
            }
        });
        var status = new Option<FlowRunStatus[]>("--status")
        {
            Description = "only runs in these states (default: completed failed)",
            AllowMultipleArgumentsPerToken = true,
        };
        var keepLast = new Option<int?>("--keep-last") { Description = "per flow, keep this many of the most recently updated matching runs" };
        keepLast.Validators.Add(result =>
        {
            if (result.TryGetValue(keepLast, out var value) && value is < 0)
            {
                result.AddError("--keep-last must not be negative.");
            }
        });
        var flow = new Option<string?>("--flow") { Description = "only runs of this flow" };
        var yes = new Option<bool>("--yes", "-y") { Description = "delete without asking (needed when standard input is not a terminal)" };
        var command = new Command("prune", "delete the runs that match (by default every completed or failed run)") { olderThanDays, status, keepLast, flow, yes, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            var runner = FlowStateCli.Runner(store);
            var statuses = parse.GetValue(status) is { Length: > 0 } given ? given : [FlowRunStatus.Completed, FlowRunStatus.Failed];
            var options = new FlowRunPruneOptions
            {
                OlderThan = parse.GetValue(olderThanDays) is { } days ? TimeSpan.FromDays(days) : null,
                Statuses = statuses,
                KeepLast = parse.GetValue(keepLast),
                Flow = parse.GetValue(flow),
                DryRun = true,
            };
            var selected = await runner.PruneRunsAsync(options, cancellationToken);
            if (selected.Count == 0)
            {
                await (console.Json ? console.WriteDocumentAsync(new { deleted = Array.Empty<string>() }) : console.Out.WriteLineAsync("no run matches; nothing deleted"));
                return 0;
            }

            if (!await console.ConfirmRemovalAsync(string.Create(CultureInfo.InvariantCulture, $"{selected.Count} run(s): {string.Join(", ", selected)}"), parse.GetValue(yes)))
            {
                return 1;
            }

            // Exactly the runs confirmed, not whatever matches by now.
            var deleted = new List<string>();
            foreach (var id in selected)
            {
                if (await runner.DeleteRunAsync(id, cancellationToken))
                {
                    deleted.Add(id);
                }
            }

            await (console.Json
                ? console.WriteDocumentAsync(new { deleted })
                : console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"deleted {deleted.Count} run(s)")));
            return 0;
        });
        return command;
    }

    private static async Task<FlowRunInfo> FindAsync(FlowRunner runner, string runId, CancellationToken cancellationToken) =>
        await runner.GetRunAsync(runId, cancellationToken) ?? throw new CliException($"there is no run '{runId}' in this store; see 'flowstate runs list'");

    private static string Status(FlowRunStatus status) => status.ToString().ToLowerInvariant();

    private static string Time(DateTimeOffset time) => time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
