using System.Diagnostics;

namespace FlowState.Benchmarks;

/// <summary>Runs a program to its end and returns its exit code, output and errors (the harnesses' servers and peers).</summary>
internal static class ChildProcess
{
    public static (int Code, string Output, string Error) Run(string file, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }

    /// <summary>Runs <c>bash scripts/{name} {directory}</c> (a test server's start or stop script) and returns the last line it printed (the port).</summary>
    /// <exception cref="InvalidOperationException">The script failed.</exception>
    public static string RunScript(string name, string directory)
    {
        var (code, output, errors) = Run("bash", [Path.Combine("scripts", name), directory]);
        return code == 0
            ? output.Trim().Split('\n')[^1].Trim()
            : throw new InvalidOperationException($"scripts/{name} failed ({code}): {errors}");
    }

    /// <summary>The folder a harness writes to: the one after <c>--dir</c>, else <c>BenchmarkDotNet.Artifacts/{harness}</c>; created.</summary>
    public static string HarnessDirectory(string[] args, string harness)
    {
        var at = Array.IndexOf(args, "--dir");
        var root = Path.GetFullPath(at >= 0 && at + 1 < args.Length ? args[at + 1] : Path.Combine("BenchmarkDotNet.Artifacts", harness));
        Directory.CreateDirectory(root);
        return root;
    }
}
