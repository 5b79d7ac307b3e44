using FlowState.Conformance;
using FlowState.Sqlite;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>
/// The exactly-once failure matrix into a real PostgreSQL table: prepared transactions survive the killed process and
/// recovery commits or rolls them back (keyed state on SQLite).
/// </summary>
[Collection(FaultTestsPostgresServer.Name)]
public sealed class PostgresStreamFailureMatrixTests(PostgresServer server) : StreamFailureMatrixConformanceTests
{
    private readonly string _table = PostgresServer.NewTable();

    protected override string HarnessBackend => "sqlite";

    protected override string[] SinkArguments => [$"postgres:{_table}:{server.ConnectionString}"];

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);

    protected override Task<IReadOnlyList<string>> ReadCommittedLinesAsync(string path) =>
        server.QueryStringsAsync($"SELECT value::text FROM {_table} ORDER BY epoch, seq");
}
