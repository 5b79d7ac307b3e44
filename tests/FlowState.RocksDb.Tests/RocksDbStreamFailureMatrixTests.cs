using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The exactly-once failure matrix with the pipeline's keyed state on real RocksDB storage.</summary>
public sealed class RocksDbStreamFailureMatrixTests : StreamFailureMatrixConformanceTests
{
    protected override string HarnessBackend => "rocksdb";

    protected override IStateBackend CreateBackend(string path) => new RocksDbStateBackend(path);
}
