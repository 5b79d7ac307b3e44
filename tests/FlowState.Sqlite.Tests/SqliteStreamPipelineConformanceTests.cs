using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The stream suite with the pipeline's keyed state in stores backed by real SQLite files.</summary>
public sealed class SqliteStreamPipelineConformanceTests : StreamPipelineConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new SqliteStateBackend(NewStoragePath() + ".db");
        return Open(options);
    }
}
