using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>The shared-store conformance suite on a real PostgreSQL server, each test on a table of its own.</summary>
[Collection(FaultTestsPostgresServer.Name)]
public sealed class PostgresSharedStateStoreConformanceTests(PostgresServer server) : SharedStateStoreWorkerConformanceTests
{
    protected override ISharedStateBackend CreateBackend(string name) => new PostgresSharedStateBackend(server.ConnectionString, name);

    protected override string HarnessServer => $"postgres:{server.ConnectionString}";
}
