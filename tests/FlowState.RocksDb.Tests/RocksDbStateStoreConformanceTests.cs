using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The shared conformance suite on a store backed by a real RocksDB directory (a new one per store).</summary>
public sealed class RocksDbStateStoreConformanceTests : StateStoreConformanceTests
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
