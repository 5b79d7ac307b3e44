using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The flow suite on stores backed by real SQLite storage (progress recorded at every step).</summary>
public sealed class SqliteFlowRunConformanceTests : FlowRunConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new SqliteStateBackend(NewStoragePath() + ".db");
        return Open(options);
    }
}
