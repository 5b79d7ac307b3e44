using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>The shared conformance suite on stores kept in PostgreSQL (a new table per store).</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresStateStoreConformanceTests(PostgresServer server) : StateStoreConformanceTests
{
    // Every group commit is a round trip to the server, so the engine's concurrency is stressed with 100,000 operations
    // on the embedded backends and in memory, and here with a quarter of that (FLOWSTATE_STRESS_OPS scales both).
    protected override int StressOperations => base.StressOperations / 4;

    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new PostgresStateBackend(server.ConnectionString, PostgresTables.For(NewStoragePath()));
        return Open(options);
    }
}
