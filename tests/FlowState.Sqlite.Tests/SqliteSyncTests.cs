using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The fsync count of writes to a SQLite file.</summary>
public sealed class SqliteSyncTests : SyncConformanceTests
{
    protected override string HarnessBackend => "sqlite";

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);
}
