using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The SIGKILL crash test on a real RocksDB directory.</summary>
public sealed class RocksDbCrashRecoveryTests : CrashRecoveryConformanceTests
{
    protected override string HarnessBackend => "rocksdb";

    protected override IStateBackend CreateBackend(string path) => new RocksDbStateBackend(path);
}
