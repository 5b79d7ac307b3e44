using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>The backend contract on a table of a real PostgreSQL server.</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresStateBackendConformanceTests(PostgresServer server) : StateBackendConformanceTests
{
    protected override IStateBackend CreateBackend(string path) => new PostgresStateBackend(server.ConnectionString, PostgresTables.For(path));
}
