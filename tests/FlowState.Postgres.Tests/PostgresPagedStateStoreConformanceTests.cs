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
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new PostgresStateBackend(server.ConnectionString, PostgresTables.For(NewStoragePath()));
        options.MaxEntries ??= 2;
        return Open(options);
    }
}
