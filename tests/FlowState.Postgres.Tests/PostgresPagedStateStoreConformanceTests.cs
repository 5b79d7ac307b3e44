using FlowState.Conformance;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>
/// The shared conformance suite on PostgreSQL-backed stores bounded to two values in memory: nearly every value a test
/// reads was paged out and comes back through the backend.
/// </summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresPagedStateStoreConformanceTests(PostgresServer server) : StateStoreConformanceTests
{
    // Every group commit is a round trip to the server, so the engine's concurrency is stressed with 100,000 operations
    // on the embedded backends and in memory, and here with a quarter of that (FLOWSTATE_STRESS_OPS scales both).
    protected override int StressOperations => base.StressOperations / 4;

    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new PostgresStateBackend(server.ConnectionString, PostgresTables.For(NewStoragePath()));
        options.MaxEntries ??= 2;
        return Open(options);
    }
}
