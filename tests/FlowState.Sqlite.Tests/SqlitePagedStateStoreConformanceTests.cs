using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// The shared conformance suite on SQLite-backed stores bounded to two values in memory: nearly every value a test
/// reads was paged out and comes back through the backend.
/// </summary>
public sealed class SqlitePagedStateStoreConformanceTests : StateStoreConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new SqliteStateBackend(NewStoragePath() + ".db");
        options.MaxEntries ??= 2;
        return Open(options);
    }
}
