using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The stream suite with the pipeline's keyed state in stores backed by real RocksDB databases.</summary>
public sealed class RocksDbStreamPipelineConformanceTests : StreamPipelineConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new RocksDbStateBackend(NewStoragePath());
        return Open(options);
    }
}
