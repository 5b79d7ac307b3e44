using Npgsql;
using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>
/// A real PostgreSQL server for the tests: the one <c>FLOWSTATE_POSTGRES</c> names (a connection string), or a
/// throwaway one started by <c>scripts/start-postgres.sh</c> on 127.0.0.1 and a free port and stopped by PID at the end.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _started;

    public string ConnectionString { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("FLOWSTATE_POSTGRES") is { Length: > 0 } given)
        {
            ConnectionString = given;
            return;
        }

        _started = Path.Combine(Path.GetTempPath(), $"flowstate-pgtests-{Guid.NewGuid():N}");
        var port = await TestServerScripts.StartAsync("start-postgres.sh", _started);
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=30;Command Timeout=60";
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_started is not null)
        {
            await TestServerScripts.RunAsync("stop-postgres.sh", _started);
            Directory.Delete(_started, recursive: true);
        }
    }

    /// <summary>A table name no other test uses.</summary>
    public static string NewTable() => $"out_{Guid.NewGuid():N}";

    public async Task<IReadOnlyList<string>> QueryStringsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
