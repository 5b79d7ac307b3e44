using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The backend contract on a RocksDB directory.</summary>
public sealed class RocksDbStateBackendConformanceTests : StateBackendConformanceTests
{
    protected override IStateBackend CreateBackend(string path) => new RocksDbStateBackend(path);
}
