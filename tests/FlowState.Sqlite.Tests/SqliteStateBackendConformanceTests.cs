using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The backend contract on a SQLite file.</summary>
public sealed class SqliteStateBackendConformanceTests : StateBackendConformanceTests
{
    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path + ".db");
}
