using FlowState.Conformance;

namespace FlowState.Postgres.Tests;

/// <summary>
/// A PostgreSQL server of one test's own (started by the test scripts on 127.0.0.1 and a free port), so that the test
/// can crash and restart it; stopped by PID and its folder deleted when disposed.
/// </summary>
internal sealed class OwnPostgresServer : IAsyncDisposable
{
    private readonly string _directory;

    private OwnPostgresServer(string directory, string port)
    {
        _directory = directory;
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=5;Command Timeout=10";
    }

    public string ConnectionString { get; }

    public static async Task<OwnPostgresServer> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"flowstate-pgown-{Guid.NewGuid():N}");
        return new OwnPostgresServer(directory, await TestServerScripts.StartAsync("start-postgres.sh", directory));
    }

    /// <summary>Kills the server (immediate shutdown: no checkpoint, connections cut).</summary>
    public Task CrashAsync() => TestServerScripts.RunAsync("stop-postgres.sh", _directory, "crash");

    /// <summary>Starts the crashed server again, on the same folder and port.</summary>
    public Task RestartAsync() => TestServerScripts.StartAsync("start-postgres.sh", _directory);

    public async Task CrashAndRestartAsync()
    {
        await CrashAsync();
        await RestartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await TestServerScripts.RunAsync("stop-postgres.sh", _directory);
        Directory.Delete(_directory, recursive: true);
    }
}
