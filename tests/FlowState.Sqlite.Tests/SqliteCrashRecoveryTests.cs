using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The SIGKILL crash test on a real SQLite file.</summary>
public sealed class SqliteCrashRecoveryTests : CrashRecoveryConformanceTests
{
    protected override string HarnessBackend => "sqlite";

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);
}
