using System.Diagnostics;

namespace FlowState.Cli.Tests;

/// <summary>
/// The real command in its own process: Ctrl+C (SIGINT) and SIGTERM stop a run cleanly, kill -9 stops it dead, and
/// either way the same command resumes it.
/// </summary>
public sealed class ProcessTests : CliTestBase
{
    [Theory]
    [InlineData("INT", 130)]   // Ctrl+C
    [InlineData("TERM", 143)]  // kill <pid>: how a background job that inherited SIGINT as ignored is stopped
    public async Task A_signal_stops_the_run_cleanly_and_running_again_resumes_it(string signal, int exitCode)
    {
        var flowFile = Directory.File("slow.yaml");
        await File.WriteAllTextAsync(flowFile, "flow: word-count\ninput:\n  step_delay_ms: 1500\n");

        var (stoppedCode, stoppedOut) = await RunProcessAsync(flowFile, interruptWhen: "run word-count_1: flow word-count", signal);
        var (code, output) = await RunProcessAsync(flowFile, interruptWhen: null, null);

        Assert.True(stoppedCode == exitCode, $"exit {stoppedCode}: {stoppedOut}");
        Assert.Contains("stopped after 0 step(s); run the same command again to resume run word-count_1", stoppedOut, StringComparison.Ordinal);
        Assert.True(code == 0, output);
        Assert.Contains("run word-count_1: resuming flow word-count after step 0 (running)", output, StringComparison.Ordinal);
        Assert.Contains("This store has counted 169 words in 1 run(s).", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_bash_completion_script_completes_commands_and_options_by_asking_flowstate()
    {
        // 'flowstate' on PATH, as the installed tool is; bash loads the script the command prints and completes.
        var bin = System.IO.Directory.CreateDirectory(Directory.File("bin")).FullName;
        var shim = Path.Combine(bin, "flowstate");
        await File.WriteAllTextAsync(shim, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "FlowState.Cli.dll")}' \"$@\"\n");
        Assert.False(OperatingSystem.IsWindows(), "the completion script is for bash on Linux and macOS");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        const string Script = """
            eval "$(flowstate completion bash)"
            complete_line() { COMP_LINE="$1"; COMP_POINT=${#1}; read -ra COMP_WORDS <<< "$1"; [ "${1: -1}" = " " ] && COMP_WORDS+=(""); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _flowstate; echo "$1 => ${COMPREPLY[*]}"; }
            complete_line "flowstate runs l"
            complete_line "flowstate st"
            complete_line "flowstate runs list --st"
            """;
        var start = new ProcessStartInfo("bash", ["-c", Script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        using var bash = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = await bash.StandardOutput.ReadToEndAsync(timeout.Token);
        await bash.WaitForExitAsync(timeout.Token);

        Assert.Equal(
            ["flowstate runs l => list", "flowstate st => state stats", "flowstate runs list --st => --status --store"],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Export_and_import_show_progress_on_a_terminal_and_none_when_captured()
    {
        var lua = Directory.File("fill.lua");
        await File.WriteAllTextAsync(lua, "for i = 1, 200 do State.set('k' .. i, string.rep('x', 500)) end");
        Assert.Equal(0, (await RunAsync("lua", "run", lua)).Code);
        var cli = Path.Combine(AppContext.BaseDirectory, "FlowState.Cli.dll");

        // script(1) gives the command a real pseudo-terminal, as a person's shell would.
        var onTerminal = await RunOnTerminalAsync($"dotnet '{cli}' export '{Directory.File("t.jsonl")}' --store '{StorePath}' && dotnet '{cli}' import '{Directory.File("t.jsonl")}' --store '{Directory.File("t.db")}'");
        var captured = await RunAsync("export", Directory.File("c.jsonl"));

        Assert.Contains("exporting to", onTerminal, StringComparison.Ordinal);
        Assert.Contains("importing", onTerminal, StringComparison.Ordinal);
        Assert.Contains("100%", onTerminal, StringComparison.Ordinal);
        Assert.Contains("exported 200 entries", onTerminal, StringComparison.Ordinal);
        Assert.Contains("imported 200 entries", onTerminal, StringComparison.Ordinal);
        Assert.Equal((0, string.Empty), (captured.Code, captured.Error));
        Assert.Equal($"exported 200 entries to {Directory.File("c.jsonl")}", captured.Out.Trim());
    }

    private static async Task<string> RunOnTerminalAsync(string commandLine)
    {
        var start = new ProcessStartInfo("script", ["-qec", commandLine, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, output + await process.StandardError.ReadToEndAsync(timeout.Token));
        return output;
    }

    [Fact]
    public async Task Killed_run_resumes_when_the_command_runs_again()
    {
        var flowFile = Directory.File("slow.yaml");
        await File.WriteAllTextAsync(flowFile, "flow: word-count\ninput:\n  step_delay_ms: 1500\n");

        var (killedCode, killedOut) = await RunProcessAsync(flowFile, interruptWhen: "run word-count_1: flow word-count", "KILL");
        var (code, output) = await RunProcessAsync(flowFile, interruptWhen: null, null);

        Assert.True(killedCode == 137, killedOut);
        Assert.True(code == 0, output);
        Assert.Contains("run word-count_1: resuming flow word-count after step 0 (running)", output, StringComparison.Ordinal);
        Assert.Contains("This store has counted 169 words in 1 run(s).", output, StringComparison.Ordinal);
        Assert.Contains("completed: 4 step(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_piped_into_import_copies_every_entry()
    {
        var copy = Directory.File("piped.db");
        Assert.Equal(0, (await RunAsync("state", "set", "greeting", "\"hello\"")).Code);

        var output = await PipeAsync("dotnet \"$0\" export - --store \"$1\" | dotnet \"$0\" import - --store \"$2\"", StorePath, copy);

        Assert.Contains("imported 1 entries from standard input", output, StringComparison.Ordinal);
        Assert.Equal("\"hello\"", (await RunAsync("state", "get", "greeting", "--store", copy)).Out.Trim());
    }

    [Fact]
    public async Task Lua_run_reads_the_script_from_standard_input_when_given_a_dash()
    {
        var output = await PipeAsync("printf 'return State.update(\"n\", function(n) return (n or 0) + 41 end) + 1' | dotnet \"$0\" lua run - --json --store \"$1\"", StorePath);

        Assert.Equal(42, System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("values")[0].GetInt32());
        Assert.Equal("41", (await RunAsync("state", "get", "n")).Out.Trim());
    }

    [Fact]
    public async Task An_argument_that_is_not_UTF_8_is_refused_before_anything_is_written()
    {
        // Only a shell can hand over bytes that are not UTF-8 (ProcessStartInfo encodes its strings).
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", "dotnet \"$0\" state set $'key\\xff' 1 --store \"$1\" && dotnet \"$0\" state set $'key\\xfe' 2 --store \"$1\"", Path.Combine(AppContext.BaseDirectory, "FlowState.Cli.dll"), StorePath })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("argument 3 is not valid UTF-8", error, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    // A shell pipeline through real pipes: $0 is the CLI's dll, $1… the arguments; it must succeed; returns standard output.
    private static async Task<string> PipeAsync(string pipeline, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", "set -o pipefail; " + pipeline, Path.Combine(AppContext.BaseDirectory, "FlowState.Cli.dll") }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(120));
        var error = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {output} {error}");
        return output;
    }

    private async Task<(int Code, string Output)> RunProcessAsync(string flowFile, string? interruptWhen, string? signal)
    {
        // A process started in the background by a shell without job control inherits SIGINT as ignored, and the
        // runtime keeps ignoring it, as a background job should: restore the default so that the test's SIGINT is
        // heard however the test command itself was started.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["DOTNET_EnableDiagnostics"] = "0"; // a SIGKILLed command would leave its diagnostics socket and pipes behind
        foreach (var argument in new[] { "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "FlowState.Cli.dll"), "run", flowFile, "--store", StorePath })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = new System.Text.StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            output.AppendLine(line);
            if (interruptWhen is not null && line.Contains(interruptWhen, StringComparison.Ordinal))
            {
                // The header comes once the run is recorded; its first step reads for 1.5 s a document, so this lands inside it.
                using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
                await kill.WaitForExitAsync(timeout.Token);
            }
        }

        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, output + await errors);
    }
}
