using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The SIGKILL test of durable flow runs on real RocksDb storage.</summary>
public sealed class RocksDbFlowCrashRecoveryTests : FlowCrashRecoveryConformanceTests
{
    protected override string HarnessBackend => "rocksdb";

    protected override IStateBackend CreateBackend(string path) => new RocksDbStateBackend(path);
}
