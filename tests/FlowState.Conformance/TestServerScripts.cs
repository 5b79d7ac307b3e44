using System.Diagnostics;

namespace FlowState.Conformance;

/// <summary>Runs the repository's <c>scripts/</c> that start and stop the test servers (PostgreSQL, s3rver).</summary>
public static class TestServerScripts
{
    /// <summary>The repository's root folder (the one with FlowState.slnx), found from the test assembly's folder.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "FlowState.slnx")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("the tests run outside the repository");
        }
    }

    /// <summary>Runs <c>bash scripts/{script} {arguments}</c>; returns its exit code, output and errors.</summary>
    public static Task<(int Code, string Output, string Errors)> RunAsync(string script, params string[] arguments) =>
        RunProgramAsync("bash", [Path.Combine(RepositoryRoot, "scripts", script), .. arguments]);

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/> to its end (10 minutes at most); returns its exit code, output and errors.</summary>
    public static async Task<(int Code, string Output, string Errors)> RunProgramAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        return (process.ExitCode, await output, await errors);
    }

    /// <summary>Runs a start script and returns the port it printed last.</summary>
    public static async Task<string> StartAsync(string script, params string[] arguments)
    {
        var (code, output, errors) = await RunAsync(script, arguments);
        return code == 0
            ? output.Trim().Split('\n')[^1].Trim()
            : throw new InvalidOperationException($"scripts/{script} failed ({code}): {errors}");
    }
}
