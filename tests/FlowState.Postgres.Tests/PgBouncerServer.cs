using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>
/// A PostgreSQL server of its own behind a real PgBouncer in transaction pooling mode, both started by the scripts on
/// 127.0.0.1 and free ports and stopped by PID at the end.
/// </summary>
public sealed class PgBouncerServer : IAsyncLifetime
{
    private readonly PostgresServer _server = new();
    private string? _started;
    private int _port;

    /// <summary>Straight to the server: the store's session.</summary>
    public string DirectConnectionString => _server.ConnectionString;

    /// <summary>Through PgBouncer (transaction mode): reads and commits.</summary>
    public string PooledConnectionString { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        var serverPort = new Npgsql.NpgsqlConnectionStringBuilder(_server.ConnectionString).Port;
        _started = Path.Combine(Path.GetTempPath(), $"flowstate-pgbouncer-tests-{Guid.NewGuid():N}");
        _port = int.Parse(await TestServerScripts.StartAsync("start-pgbouncer.sh", _started, $"{serverPort}"), System.Globalization.CultureInfo.InvariantCulture);
        PooledConnectionString = $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Timeout=30;Command Timeout=60";
    }

    /// <summary>
    /// Runs a command on PgBouncer's admin console (<c>SHOW POOLS</c>, …) with psql, which speaks the simple query
    /// protocol the console requires, and returns its unaligned output.
    /// </summary>
    public async Task<string> AdminAsync(string command)
    {
        var (code, output, errors) = await TestServerScripts.RunProgramAsync("psql", "-h", "127.0.0.1", "-p", $"{_port}", "-U", "postgres", "-d", "pgbouncer", "-A", "-c", command);
        return code == 0 ? output : throw new InvalidOperationException($"psql '{command}' on PgBouncer failed: {errors}");
    }

    public async Task DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        if (_started is not null)
        {
            await TestServerScripts.RunAsync("stop-pgbouncer.sh", _started);
            Directory.Delete(_started, recursive: true);
        }

        await _server.DisposeAsync();
    }
}
