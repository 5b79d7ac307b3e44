using System.Diagnostics;
using System.Text;
using Xunit;

namespace FlowState.Conformance;

/// <summary>
/// The crash harness (FlowState.CrashHarness, copied beside the tests by the backend's test project) as a child
/// process: started, awaited until it prints <c>READY</c>, followed line by line while it runs (so a test can wait for
/// the progress it needs, never for a fixed time), then killed with SIGKILL.
/// </summary>
internal sealed class CrashHarnessProcess : IDisposable
{
    /// <summary>How long a wait for the child's progress may take before the test fails: generous, for busy machines.</summary>
    public static readonly TimeSpan ProgressTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly Task<string> _errors;
    private readonly Task _reading;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _lineArrived = new(0);

    private CrashHarnessProcess(Process process)
    {
        _process = process;
        _errors = process.StandardError.ReadToEndAsync();
        _reading = Task.Run(ReadLinesAsync);
    }

    /// <summary>Starts the harness with <paramref name="arguments"/> and waits for its <c>READY</c>.</summary>
    public static Task<CrashHarnessProcess> StartAsync(params string[] arguments) => StartAsync([], arguments);

    /// <summary>
    /// Starts the harness under <c>strace</c>, which writes every <c>fsync</c> and <c>fdatasync</c> call of the harness
    /// and its threads to <paramref name="traceFile"/>; waits for its <c>READY</c>.
    /// </summary>
    public static Task<CrashHarnessProcess> StartTracingSyncsAsync(string traceFile, params string[] arguments) =>
        StartAsync(["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=fsync,fdatasync", "-e", "signal=none", "-o", traceFile], arguments);

    private static async Task<CrashHarnessProcess> StartAsync(string[] launcher, string[] arguments)
    {
        var start = new ProcessStartInfo(launcher.Length == 0 ? "dotnet" : launcher[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // A .NET process killed with SIGKILL leaves its diagnostics socket and debugger pipes in the temporary folder
        // (three files a kill, thousands a test run); the harness needs neither.
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        foreach (var part in launcher.Skip(1))
        {
            start.ArgumentList.Add(part);
        }

        if (launcher.Length > 0)
        {
            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "FlowState.CrashHarness.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var harness = new CrashHarnessProcess(Process.Start(start)!);
        try
        {
            await harness.WaitForLineAsync(line => line == "READY", "READY");
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            harness._process.Kill(entireProcessTree: true);
            Assert.Fail($"harness did not start ({ex.Message}): {await harness._errors.WaitAsync(TimeSpan.FromSeconds(30))}");
        }

        lock (harness._lines)
        {
            harness._lines.RemoveRange(0, harness._lines.FindIndex(line => line == "READY") + 1);
        }

        return harness;
    }

    /// <summary>
    /// Waits until the harness has printed <paramref name="count"/> complete lines after <c>READY</c> that match
    /// <paramref name="match"/> (up to <see cref="ProgressTimeout"/>); fails with what it printed when it ends first.
    /// </summary>
    public async Task WaitForLinesAsync(Func<string, bool> match, int count, string what)
    {
        using var timeout = new CancellationTokenSource(ProgressTimeout);
        while (true)
        {
            bool ended;
            lock (_lines)
            {
                if (_lines.Count(match) >= count)
                {
                    return;
                }

                ended = _reading.IsCompleted;
            }

            if (ended)
            {
                throw new InvalidOperationException($"the harness ended before printing {count} × {what}; it printed: {string.Join(" | ", Lines.TakeLast(10))} {await ErrorsAsync()}");
            }

            try
            {
                await _lineArrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the harness printed no {count} × {what} within {ProgressTimeout.TotalSeconds:0} s; it printed: {string.Join(" | ", Lines.TakeLast(10))}");
            }
        }
    }

    /// <summary>Waits for one line matching <paramref name="match"/>; see <see cref="WaitForLinesAsync"/>.</summary>
    public Task WaitForLineAsync(Func<string, bool> match, string what) => WaitForLinesAsync(match, 1, what);

    /// <summary>
    /// Kills the harness with SIGKILL (no finally blocks, no flush, no dispose) and returns the complete lines it
    /// printed after <c>READY</c>; a line cut by the kill is dropped.
    /// </summary>
    public async Task<string[]> KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _reading.WaitAsync(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return Lines;
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

        await _reading.WaitAsync(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (_process.ExitCode, killed, Lines);
    }

    /// <summary>What the harness wrote to standard error (after it exited).</summary>
    public Task<string> ErrorsAsync() => _errors.WaitAsync(TimeSpan.FromSeconds(30));

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        // The reader releases the semaphore until the output ends, which the kill brings about.
        _reading.Wait(TimeSpan.FromSeconds(30));
        _process.Dispose();
        _lineArrived.Dispose();
    }

    private string[] Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    // Splits on '\n' itself: a line the kill cut has no newline, and may be a prefix of another line ("ACK 12" of
    // "ACK 123"), so whatever follows the last newline at the end of output is dropped, never reported.
    private async Task ReadLinesAsync()
    {
        var reader = _process.StandardOutput;
        var buffer = new char[4096];
        var pending = new StringBuilder();
        int read;
        try
        {
            while ((read = await reader.ReadAsync(buffer)) > 0)
            {
                var start = 0;
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] != '\n')
                    {
                        continue;
                    }

                    pending.Append(buffer, start, i - start);
                    lock (_lines)
                    {
                        _lines.Add(pending.ToString());
                    }

                    pending.Clear();
                    start = i + 1;
                    _lineArrived.Release();
                }

                pending.Append(buffer, start, read - start);
            }
        }
        finally
        {
            _lineArrived.Release();
        }
    }
}
