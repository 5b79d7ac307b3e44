using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FlowState.Lua;

namespace FlowState.Cli.Commands;

/// <summary><c>flowstate lua run &lt;script.lua&gt;</c>: runs a Lua script against the store, sandboxed and within budgets.</summary>
internal static class LuaCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var lua = new Command("lua", "run Lua scripts against the store");
        lua.Subcommands.Add(Run(output, error));
        return lua;
    }

    private static Command Run(TextWriter output, TextWriter error)
    {
        var script = new Argument<string>("script") { Description = "the Lua script file (- reads the script from standard input)" };
        var args = new Option<string?>("--args") { Description = "a JSON value the script sees as the global 'args'" };
        var workflow = new Option<string?>("--workflow") { Description = "a workflow run id: the script gets workflow.state (that run's scope) and workflow.id" };
        var timeout = new Option<double?>("--timeout") { Description = "the script's wall-time budget in seconds (default 5)" };
        var command = new Command("run", "run a script: State is the scope --scope names (default global); its writes commit together when it ends")
        {
            script, args, workflow, timeout, CliOptions.Scope, CliOptions.Json,
        };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var arguments = parse.GetValue(args) is { } json ? ParseArguments(json) : (JsonElement?)null;
            var options = new LuaScriptOptions();
            if (parse.GetValue(timeout) is { } seconds)
            {
                options.Timeout = seconds > 0 && double.IsFinite(seconds)
                    ? TimeSpan.FromSeconds(seconds)
                    : throw new CliUsageException($"--timeout is {seconds.ToString(CultureInfo.InvariantCulture)}; give a positive number of seconds");
            }

            var path = parse.GetValue(script)!;
            if (path != "-" && !File.Exists(path))
            {
                throw new CliException($"there is no Lua script at {Path.GetFullPath(path)}");
            }

            await using var store = await parse.OpenStateAsync(mustExist: false, cancellationToken);
            var host = new LuaScriptHost(store.Root, options);
            var context = new LuaScriptContext
            {
                Scope = ScopeText.Parse(parse.GetValue(CliOptions.Scope)),
                WorkflowId = parse.GetValue(workflow),
                Arguments = arguments,
            };
            var result = path == "-"
                ? await host.RunAsync(await Console.In.ReadToEndAsync(cancellationToken), context, cancellationToken)
                : await host.RunFileAsync(path, context, cancellationToken);
            if (console.Json)
            {
                await console.WriteDocumentAsync(new
                {
                    output = result.Output,
                    values = result.Values,
                    version = result.Version,
                    attempts = result.Attempts,
                    instructions = result.Instructions,
                    peakMemoryBytes = result.PeakMemoryBytes,
                    elapsedMilliseconds = result.Elapsed.TotalMilliseconds,
                });
                return 0;
            }

            await console.Out.WriteAsync(result.Output);
            foreach (var value in result.Values)
            {
                await console.Out.WriteLineAsync("=> " + value.GetRawText());
            }

            await console.Out.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"committed at version {result.Version} in {result.Elapsed.TotalMilliseconds:0.0} ms ({result.Attempts} attempt(s), peak Lua memory {result.PeakMemoryBytes / 1024.0:0} KiB)"));
            return 0;
        });
        return command;
    }

    private static JsonElement ParseArguments(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new CliUsageException($"--args is not JSON: {ex.Message}");
        }
    }
}
