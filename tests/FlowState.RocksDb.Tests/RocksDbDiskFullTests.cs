using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>A RocksDB directory on a full disk.</summary>
public sealed class RocksDbDiskFullTests : DiskFullConformanceTests
{
    protected override IStateBackend CreateBackend(string path) => new RocksDbStateBackend(path);

    protected override void CopyStorage(string source, string destination) => RocksDbCorruptionTests.CopyFiles(source, destination);
}
