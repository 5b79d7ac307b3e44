using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FlowState.Cli.ExampleFlows;
using FlowState.Cli.LuaFlows;
using FlowState.Cli.Streams;
using FlowState.Flows;

namespace FlowState.Cli.Commands;

/// <summary>
/// <c>flowstate run &lt;file.yaml | flow&gt;</c>: runs a bundled flow, printing each step as it commits and the result.
/// An unfinished run of the same flow in the store (stopped with Ctrl+C, failed, or killed) is resumed instead of
/// starting over, unless <c>--new</c>.
/// </summary>
internal static class RunCommand
{
    private static readonly StateScope CliScope = StateScope.Custom("flowstate-cli");

    public static Command Create(TextWriter output, TextWriter error)
    {
        var target = new Argument<string>("target") { Description = "a flow or pipeline file (.yaml), or the name of a bundled flow: " + string.Join(", ", BundledFlow.All.Keys) };
        var runId = new Option<string?>("--run-id") { Description = "the run id (default: the file's run_id, or a new one)" };
        var fresh = new Option<bool>("--new") { Description = "start a new run even when an unfinished one exists" };
        var command = new Command("run", "run a flow (resumes an unfinished run of it) or a stream pipeline (continues from its last checkpoint)") { target, runId, fresh };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var text = parse.GetValue(target)!;
            var isYaml = text.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || text.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

            // The file is read once; what it holds says what it is: a pipeline, a flow of Lua steps, or a flow file.
            var settings = isYaml ? FlowFile.Root(text) : null;
            if (settings?.Child("pipeline") is not null)
            {
                return await PipelineRunCommand.RunAsync(PipelineFile.Load(text, settings), parse, console, cancellationToken);
            }

            var (flow, input, storePath, fileRunId, printResult) = settings?.Child("steps") is not null
                ? await LuaFlowAsync(text, settings, console, cancellationToken)
                : BundledFlowOf(isYaml ? FlowFile.Load(text, settings) : null, text);
            var location = StoreLocation.Parse(parse.GetValue(CliOptions.Store) ?? storePath);
            await using var store = await location.OpenAsync(mustExist: false, cancellationToken);
            var runner = FlowStateCli.Runner(store);
            var unfinishedKey = "unfinished/" + flow.Name;
            var cli = store.For(CliScope);
            var id = parse.GetValue(runId) ?? fileRunId;
            FlowRunInfo? resumable = null;
            if (!parse.GetValue(fresh) && (id ?? await cli.GetAsync<string>(unfinishedKey, cancellationToken)) is { } candidate)
            {
                resumable = await runner.GetRunAsync(candidate, cancellationToken) is { Status: not FlowRunStatus.Completed } info ? info : null;
            }

            id = resumable?.RunId ?? id ?? runner.Runs.NewRunId(flow.Name);
            await cli.SetAsync(unfinishedKey, id, cancellationToken: cancellationToken);
            var watch = Stopwatch.StartNew();

            // Progress comes from the run's events. The header is printed at the run's first event, once the run is
            // recorded in the store, so a line on the screen never promises a run that a kill at that moment would lose.
            var events = resumable is null
                ? runner.StreamAsync(flow, input, new FlowRunOptions { RunId = id }, cancellationToken)
                : runner.StreamResumeAsync(flow, id, cancellationToken: cancellationToken);
            FlowRunResult? result = null;
            var steps = 0;
            try
            {
                await foreach (var flowEvent in events)
                {
                    switch (flowEvent.Kind)
                    {
                        case FlowEventKind.RunStarted:
                            await console.Out.WriteLineAsync($"run {id}: flow {flow.Name} on {location}");
                            await console.Out.FlushAsync(cancellationToken);
                            break;
                        case FlowEventKind.RunResumed:
                            await console.Out.WriteLineAsync($"run {id}: resuming flow {flow.Name} after step {resumable!.Steps} ({resumable.Status.ToString().ToLowerInvariant()}) on {location}");
                            await console.Out.FlushAsync(cancellationToken);
                            break;
                        case FlowEventKind.StepCommitted:
                            steps++;
                            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  done   {flowEvent.Node} ({flowEvent.Duration?.TotalMilliseconds:0.0} ms)"));
                            break;
                        case FlowEventKind.StepFailed:
                            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  failed {flowEvent.Node} ({flowEvent.Duration?.TotalMilliseconds:0.0} ms)"));
                            break;
                        case FlowEventKind.RunFailed:
                            throw new CliException($"{flowEvent.Error} Run the same command again to resume run {id}.");
                        case FlowEventKind.RunCancelled:
                            await console.Out.WriteLineAsync($"stopped after {steps} step(s); run the same command again to resume run {id}");
                            return FlowStateCli.Interrupted;
                        case FlowEventKind.RunCompleted or FlowEventKind.RunInterrupted:
                            result = flowEvent.Result;
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await console.Out.WriteLineAsync($"stopped after {steps} step(s); run the same command again to resume run {id}");
                return FlowStateCli.Interrupted;
            }
            catch (FlowException ex)
            {
                throw new CliException($"{ex.Message} Run the same command again to resume run {id}.");
            }

            if (result is null)
            {
                throw new CliException($"run {id} ended without a result; run the same command again to resume it.");
            }

            if (result.Status == FlowRunStatus.Interrupted)
            {
                await console.Out.WriteLineAsync($"run {id} is waiting for input: {result.InterruptReason}");
                return 0;
            }

            await cli.DeleteAsync(unfinishedKey, cancellationToken: CancellationToken.None);
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"run {id} completed: {result.Steps} step(s) in {watch.Elapsed.TotalSeconds:0.00} s"));
            await printResult(console, result.State);
            return 0;
        });
        return command;
    }

    private static RunTarget BundledFlowOf(FlowFile? file, string text)
    {
        var bundled = BundledFlow.Find(file?.Flow ?? text);
        return new RunTarget(
            bundled.Build(),
            bundled.PrepareInput(file?.Input ?? [], file?.Directory ?? Environment.CurrentDirectory),
            file?.Store is { } store ? Path.Combine(file.Directory, store) : null,
            file?.RunId,
            (console, state) => bundled.PrintResultAsync(console, state, ["result", "value"]));
    }

    private static async Task<RunTarget> LuaFlowAsync(string path, ISettingsNode settings, CliConsole console, CancellationToken cancellationToken)
    {
        var file = await LuaFlowFile.LoadAsync(path, settings, console.Out, cancellationToken);
        return new RunTarget(
            file.Flow,
            file.Input,
            file.Store is { } store ? Path.Combine(file.Directory, store) : null,
            file.RunId,
            (console, state) =>
            {
                file.PrintResult(console, state);
                return Task.CompletedTask;
            });
    }

    /// <summary>What <c>run</c> runs: the flow, its input, and where the file says the store and run id are.</summary>
    private sealed record RunTarget(Flow Flow, JsonObject Input, string? StorePath, string? RunId, Func<CliConsole, JsonObject, Task> PrintResult);
}
