using System.Diagnostics;
using System.Text;
using Xunit;

namespace FlowState.Cli;

/// <summary>
/// The real <c>flowstate</c> command in a process of its own (the CLI assembly beside the tests), stopped by PID. Linked
/// into the test projects that run a long-lived command (<c>serve</c>) or kill one.
/// </summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly object _gate = new();
    private TaskCompletionSource<string>? _awaited;
    private string? _awaitedText;

    private CliProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public static CliProcess Start(params string[] args) => StartIn(null, args);

    /// <summary>Starts the command in <paramref name="workingDirectory"/> (null: this process's).</summary>
    public static CliProcess StartIn(string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? string.Empty };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "FlowState.Cli.dll"));
        // A killed command would leave its diagnostics socket and debugger pipes in the temporary folder.
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        var cli = new CliProcess(new Process { StartInfo = start });
        cli._process.OutputDataReceived += (_, line) => cli.Received(line.Data);
        cli._process.ErrorDataReceived += (_, line) => cli.Received(line.Data);
        cli._process.Start();
        cli._process.BeginOutputReadLine();
        cli._process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs the command to its end; fails the test unless it exits 0.</summary>
    public static Task<string> RunAsync(params string[] args) => RunInAsync(null, args);

    /// <summary>Runs the command in <paramref name="workingDirectory"/> to its end; fails the test unless it exits 0.</summary>
    public static async Task<string> RunInAsync(string? workingDirectory, params string[] args)
    {
        await using var cli = StartIn(workingDirectory, args);
        await cli._process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(cli._process.ExitCode == 0, $"flowstate {string.Join(' ', args)} exited {cli._process.ExitCode}: {cli.Output}");
        return cli.Output;
    }

    /// <summary>The first line printed that contains <paramref name="text"/>.</summary>
    public Task<string> WaitForLineAsync(string text)
    {
        lock (_gate)
        {
            var found = _output.ToString().Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (found is not null)
            {
                return Task.FromResult(found);
            }

            _awaitedText = text;
            _awaited = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _awaited.Task.WaitAsync(TimeSpan.FromSeconds(120));
        }
    }

    public async Task WaitForExitAsync() => await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        _process.Dispose();
    }

    private void Received(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.AppendLine(line);
            if (_awaitedText is not null && line.Contains(_awaitedText, StringComparison.Ordinal))
            {
                _awaitedText = null;
                _awaited!.TrySetResult(line);
            }
        }
    }
}
