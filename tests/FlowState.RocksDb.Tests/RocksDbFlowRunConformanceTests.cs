using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The flow suite on stores backed by real RocksDB storage (progress recorded at every step).</summary>
public sealed class RocksDbFlowRunConformanceTests : FlowRunConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new RocksDbStateBackend(NewStoragePath());
        return Open(options);
    }
}
