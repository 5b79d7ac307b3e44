using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The exactly-once failure matrix with the pipeline's keyed state on real SQLite storage.</summary>
public sealed class SqliteStreamFailureMatrixTests : StreamFailureMatrixConformanceTests
{
    protected override string HarnessBackend => "sqlite";

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);
}
