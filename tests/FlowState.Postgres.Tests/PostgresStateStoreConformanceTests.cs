using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>The shared conformance suite on stores kept in PostgreSQL (a new table per store).</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresStateStoreConformanceTests(PostgresServer server) : StateStoreConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new PostgresStateBackend(server.ConnectionString, PostgresTables.For(NewStoragePath()));
        return Open(options);
    }
}
