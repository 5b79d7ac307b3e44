using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>
/// The shared conformance suite on RocksDB-backed stores bounded to two values in memory: nearly every value a test
/// reads was paged out and comes back through the backend.
/// </summary>
public sealed class RocksDbPagedStateStoreConformanceTests : StateStoreConformanceTests
{
    protected override StateStore CreateStore(StateStoreOptions options)
    {
        options.Backend = new RocksDbStateBackend(NewStoragePath());
        options.MaxEntries ??= 2;
        return Open(options);
    }
}
