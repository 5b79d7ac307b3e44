using System.Diagnostics;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// The crash harness (FlowState.CrashHarness, copied beside the tests by the backend's test project) as a child
/// process: started, awaited until it prints <c>READY</c>, then killed with SIGKILL.
/// </summary>
internal sealed class CrashHarnessProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _errors;

    private CrashHarnessProcess(Process process)
    {
        _process = process;
        _errors = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts the harness with <paramref name="arguments"/> and waits for its <c>READY</c>.</summary>
    public static async Task<CrashHarnessProcess> StartAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "FlowState.CrashHarness.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var harness = new CrashHarnessProcess(Process.Start(start)!);
        var ready = await harness._process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (ready != "READY")
        {
            harness._process.Kill(entireProcessTree: true);
            Assert.Fail($"harness did not start: '{ready}' {await harness._errors.WaitAsync(TimeSpan.FromSeconds(30))}");
        }

        return harness;
    }

    /// <summary>
    /// Kills the harness with SIGKILL (no finally blocks, no flush, no dispose) and returns the complete lines it
    /// printed after <c>READY</c>; a line cut by the kill is dropped.
    /// </summary>
    public async Task<string[]> KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        var rest = await _process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // The last piece is either empty (output ended with a newline) or a line cut by the kill, which may be a
        // prefix of another line ("ACK 12" of "ACK 123"): drop it either way.
        return rest.Split('\n')[..^1];
    }

    /// <summary>
    /// Waits up to <paramref name="wait"/> for the harness to exit by itself; kills it with SIGKILL if it has not.
    /// Returns its exit code (137 when killed, by the parent or by itself), whether the parent killed it, and the complete
    /// lines it printed after <c>READY</c>.
    /// </summary>
    public async Task<(int ExitCode, bool Killed, string[] Lines)> ExitOrKillAsync(TimeSpan wait)
    {
        var killed = false;
        try
        {
            await _process.WaitForExitAsync().WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            killed = true;
        }

        var rest = await _process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (_process.ExitCode, killed, rest.Split('\n')[..^1]);
    }

    /// <summary>What the harness wrote to standard error (after it exited).</summary>
    public Task<string> ErrorsAsync() => _errors.WaitAsync(TimeSpan.FromSeconds(30));

    public void Dispose() => _process.Dispose();
}
