using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>The backup catalog under kill -9 on a table of a real PostgreSQL server.</summary>
[Collection(FaultTestsPostgresServer.Name)]
public sealed class PostgresBackupCatalogCrashTests(PostgresServer server) : BackupCatalogCrashConformanceTests
{
    protected override string HarnessBackend => "postgres:" + server.ConnectionString;

    protected override IStateBackend CreateBackend(string path) => new PostgresStateBackend(server.ConnectionString, PostgresTables.For(path));
}
