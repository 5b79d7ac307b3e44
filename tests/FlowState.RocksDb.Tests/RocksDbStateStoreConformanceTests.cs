using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The shared conformance suite on stores backed by real RocksDB storage (a new file or directory per store).</summary>
public sealed class RocksDbStateStoreConformanceTests : StateStoreConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new RocksDbStateBackend(NewStoragePath());
        return Open(options);
    }
}
