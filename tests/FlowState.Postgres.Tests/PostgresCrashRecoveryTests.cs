using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>The SIGKILL crash test on a table of a real PostgreSQL server.</summary>
[Collection(FaultTestsPostgresServer.Name)]
public sealed class PostgresCrashRecoveryTests(PostgresServer server) : CrashRecoveryConformanceTests
{
    protected override string HarnessBackend => "postgres:" + server.ConnectionString;

    protected override IStateBackend CreateBackend(string path) => new PostgresStateBackend(server.ConnectionString, PostgresTables.For(path));
}
