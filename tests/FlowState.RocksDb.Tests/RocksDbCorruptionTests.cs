using FlowState.Conformance;
using Xunit.Abstractions;

namespace FlowState.RocksDb.Tests;

/// <summary>The corruption corpus on a RocksDB directory: table files, write-ahead logs, MANIFEST and CURRENT.</summary>
public sealed class RocksDbCorruptionTests(ITestOutputHelper output) : CorruptionConformanceTests(output)
{
    protected override IStateBackend CreateBackend(string path) => new RocksDbStateBackend(path);

    // LOG files are RocksDB's diagnostics and LOCK is empty: neither holds state.
    protected override IReadOnlyList<string> DataFiles(string path) =>
        Directory.GetFiles(path).Where(file => Path.GetFileName(file) is var name && !name.StartsWith("LOG", StringComparison.Ordinal) && name != "LOCK").Order(StringComparer.Ordinal).ToList();

    protected override void CopyStorage(string source, string destination) => CopyFiles(source, destination);

    internal static void CopyFiles(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }
    }
}
