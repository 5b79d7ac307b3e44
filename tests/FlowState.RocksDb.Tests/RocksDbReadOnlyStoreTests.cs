using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>A RocksDB directory opened read-only.</summary>
public sealed class RocksDbReadOnlyStoreTests : ReadOnlyStoreConformanceTests
{
    protected override IStateBackend CreateBackend(string path, bool forReading) =>
        new RocksDbStateBackend(new RocksDbStateBackendOptions { Path = path, ReadOnly = forReading });

    // LOG files are RocksDB's diagnostics and LOCK is empty: neither holds state.
    protected override IReadOnlyList<string> DataFiles(string path) =>
        Directory.GetFiles(path).Where(file => Path.GetFileName(file) is var name && !name.StartsWith("LOG", StringComparison.Ordinal) && name != "LOCK").ToList();
}
