using FlowState.Conformance;
using FlowState.RocksDb;

namespace FlowState.RocksDb.Tests;

/// <summary>The backup catalog under kill -9 on RocksDB directories.</summary>
public sealed class RocksDbBackupCatalogCrashTests : BackupCatalogCrashConformanceTests
{
    protected override string HarnessBackend => "rocksdb";

    protected override IStateBackend CreateBackend(string path) => new RocksDbStateBackend(path);
}
