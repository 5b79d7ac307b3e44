using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The high-water mark beside a RocksDB directory.</summary>
public sealed class RocksDbHighWaterMarkTests : HighWaterMarkConformanceTests
{
    protected override IStateBackend CreateBackend(string path, bool forReading = false) =>
        new RocksDbStateBackend(new RocksDbStateBackendOptions { Path = path, ReadOnly = forReading });

    protected override void CopyStorage(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }
    }

    protected override void DeleteStorage(string path) => Directory.Delete(path, recursive: true);
}
