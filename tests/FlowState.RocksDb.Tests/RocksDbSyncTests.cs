using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The fsync count of writes to a RocksDB directory.</summary>
public sealed class RocksDbSyncTests : SyncConformanceTests
{
    protected override string HarnessBackend => "rocksdb";

    protected override IStateBackend CreateBackend(string path) => new RocksDbStateBackend(path);
}
