using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The high-water mark beside a SQLite file.</summary>
public sealed class SqliteHighWaterMarkTests : HighWaterMarkConformanceTests
{
    protected override IStateBackend CreateBackend(string path, bool forReading = false) =>
        new SqliteStateBackend(new SqliteStateBackendOptions { Path = path, ReadOnly = forReading });

    protected override void CopyStorage(string source, string destination)
    {
        foreach (var suffix in new[] { string.Empty, "-wal" })
        {
            if (File.Exists(source + suffix))
            {
                File.Copy(source + suffix, destination + suffix);
            }
        }
    }

    protected override void DeleteStorage(string path)
    {
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
        {
            File.Delete(path + suffix);
        }
    }
}
