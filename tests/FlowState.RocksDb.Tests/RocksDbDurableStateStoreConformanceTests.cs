using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The durability suite (reopen, versions, TTL, group commit) on real RocksDB directories.</summary>
public sealed class RocksDbDurableStateStoreConformanceTests : DurableStateStoreConformanceTests
{
    private readonly TemporaryDirectory _directory = new();

    protected override IStateBackend CreateBackend(string storage) => new RocksDbStateBackend(_directory.File(storage));

    protected override IStateBackend CreateBackendAt(string path) => new RocksDbStateBackend(path);

    protected override string BackupPath(string name) => _directory.File(name + ".backup");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}
