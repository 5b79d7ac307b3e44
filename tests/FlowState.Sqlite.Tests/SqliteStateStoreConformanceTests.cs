using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The shared conformance suite on stores backed by real SQLite storage (a new file or directory per store).</summary>
public sealed class SqliteStateStoreConformanceTests : StateStoreConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new SqliteStateBackend(NewStoragePath() + ".db");
        return Open(options);
    }
}
