using System.Diagnostics;
using Xunit;

namespace FlowState.S3.Tests;

/// <summary>
/// A real S3 API server for the tests: s3rver (npm) started by <c>scripts/start-s3rver.sh</c> on 127.0.0.1 and a free
/// port, with the bucket <c>flowstate</c>, stopped by PID at the end.
/// </summary>
public sealed class S3rverServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"flowstate-s3tests-{Guid.NewGuid():N}");

    public string Endpoint { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var (code, output, errors) = await RunScriptAsync("start-s3rver.sh", _directory);
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/start-s3rver.sh failed ({code}): {errors}");
        }

        Endpoint = $"http://127.0.0.1:{output.Trim().Split('\n')[^1].Trim()}";
    }

    public async Task DisposeAsync()
    {
        await RunScriptAsync("stop-s3rver.sh", _directory);
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Options for checkpoints under <paramref name="prefix"/> of the bucket.</summary>
    public S3CheckpointStorageOptions Options(string prefix) => new()
    {
        Bucket = "flowstate",
        Prefix = prefix,
        Endpoint = Endpoint,
        AccessKey = "S3RVER",
        SecretKey = "S3RVER",
    };

    private static async Task<(int Code, string Output, string Errors)> RunScriptAsync(string script, string argument)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot, "scripts", script));
        start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        return (process.ExitCode, await output, await errors);
    }

    private static string RepositoryRoot
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
}
