using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlowState.Cli.Commands;
using FlowState.Flows;

namespace FlowState.Cli;

/// <summary>
/// The <c>flowstate</c> command line. Exit codes: 0 done, 1 the command failed (one line on standard error, the stack
/// trace only with <c>--verbose</c>), 2 the command line is wrong, 130 interrupted (Ctrl+C), 143 stopped by SIGTERM, as
/// shells report them.
/// </summary>
internal static class FlowStateCli
{
    /// <summary>The exit code of a command stopped by Ctrl+C: 128 + SIGINT, what a shell reports for an interrupted program.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code of a command stopped by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;

    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("flowstate: run flows and inspect, edit, back up and export FlowState stores.");
        root.Options.Add(CliOptions.Store);
        root.Options.Add(CliOptions.Verbose);
        root.Subcommands.Add(RunCommand.Create(output, error));
        root.Subcommands.Add(StateCommands.Create(output, error));
        root.Subcommands.Add(RunsCommands.Create(output, error));
        root.Subcommands.Add(CheckpointsCommands.Create(output, error));
        root.Subcommands.Add(LuaCommands.Create(output, error));
        root.Subcommands.Add(MigrateCommand.Create(output, error));
        root.Subcommands.Add(ServeCommand.Create(output, error));
        root.Subcommands.Add(CompletionCommand.Create(output, error));
        foreach (var command in DataCommands.Create(output, error))
        {
            root.Subcommands.Add(command);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // System.CommandLine's own report: the errors and, for a mistyped command or option, what was meant
            // ("'sate' was not matched. Did you mean one of the following? state"); the full help only on request.
            if (parsed.Action is ParseErrorAction report)
            {
                report.ShowHelp = false;
                report.ShowTypoCorrections = true;
            }

            // All of it on standard error: standard output stays for what a command prints.
            await parsed.InvokeAsync(new InvocationConfiguration { Output = error, Error = error }, cancellationToken).ConfigureAwait(false);
            await error.WriteLineAsync("run 'flowstate --help' for usage").ConfigureAwait(false);
            return 2;
        }

        if (parsed.Action is HelpAction)
        {
            // System.CommandLine names the root after the entry assembly (FlowState.Cli, which cannot be called
            // 'flowstate': assembly names ignore case, and FlowState is the core). Help's usage lines get the name
            // people type.
            using var help = new StringWriter();
            var code = await parsed.InvokeAsync(new InvocationConfiguration { Output = help, Error = error }, cancellationToken).ConfigureAwait(false);
            var usageLine = new Regex($"^  {Regex.Escape(RootCommand.ExecutableName)}(?= |$)", RegexOptions.Multiline);
            await output.WriteAsync(usageLine.Replace(help.ToString(), $"  {CommandName}")).ConfigureAwait(false);
            return code;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null, // Ctrl+C is handled by the caller's token (see Program.cs).
            }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The name help shows in its usage lines: the command people type.</summary>
    public const string CommandName = "flowstate";

    /// <summary>Sets a command's action: runs <paramref name="body"/> and turns errors into one line and an exit code.</summary>
    public static void SetGuardedAction(this Command command, TextWriter output, TextWriter error, Func<ParseResult, CliConsole, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            var console = new CliConsole(output, error, parse.GetValue(CliOptions.Verbose), parse.GetValue(CliOptions.Json));
            try
            {
                return await body(parse, console, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await error.WriteLineAsync($"error: {Describe(ex)}").ConfigureAwait(false);
                if (console.Verbose)
                {
                    await error.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
                }

                return ex is CliUsageException ? 2 : ex is OperationCanceledException && cancellationToken.IsCancellationRequested ? Interrupted : 1;
            }
        });

    // Every failure is one line; an exception the CLI did not expect says so, so that it reads as a bug to report.
    private static string Describe(Exception ex) => ex switch
    {
        CliException or StateException or IOException or UnauthorizedAccessException or ArgumentException or JsonException or NotSupportedException => ex.Message,
        OperationCanceledException => "stopped",
        _ => $"unexpected {ex.GetType().Name}: {ex.Message} (run with --verbose for details)",
    };

    /// <summary>Opens the store the command line names (<c>--store</c>, or <paramref name="fallback"/>, or the default).</summary>
    public static Task<StateStore> OpenStoreAsync(this ParseResult parse, bool mustExist, CancellationToken cancellationToken, string? fallback = null) =>
        StoreLocation.Parse(parse.GetValue(CliOptions.Store) ?? fallback).OpenAsync(mustExist, cancellationToken);

    /// <summary>Opens the store the command line names for a state command: a store of this process or a shared one.</summary>
    public static Task<OpenedState> OpenStateAsync(this ParseResult parse, bool mustExist, CancellationToken cancellationToken) =>
        StoreLocation.Parse(parse.GetValue(CliOptions.Store)).OpenStateAsync(mustExist, cancellationToken);

    /// <summary>The runner the CLI uses: completed runs are kept, with their last 1,000 steps of history.</summary>
    public static FlowRunner Runner(StateStore store) =>
        new(store, new FlowRunnerOptions { RetainCompletedRuns = true, History = new FlowHistoryOptions { MaxCheckpoints = 1000 } });
}
