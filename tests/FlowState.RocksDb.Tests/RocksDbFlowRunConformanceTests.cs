using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The flow suite on stores backed by real RocksDB directories (progress recorded at every step).</summary>
public sealed class RocksDbFlowRunConformanceTests : FlowRunConformanceTests
{
    private readonly TemporaryDirectory _directory = new();
    private int _stores;

    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new RocksDbStateBackend(_directory.File($"store-{Interlocked.Increment(ref _stores)}"));
        return StateStore.OpenAsync(options).GetAwaiter().GetResult();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}
