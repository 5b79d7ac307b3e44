using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The SIGKILL test of durable flow runs on real Sqlite storage.</summary>
public sealed class SqliteFlowCrashRecoveryTests : FlowCrashRecoveryConformanceTests
{
    protected override string HarnessBackend => "sqlite";

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);
}
