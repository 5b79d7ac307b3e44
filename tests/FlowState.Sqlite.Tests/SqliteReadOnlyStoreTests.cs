using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>A SQLite file opened read-only.</summary>
public sealed class SqliteReadOnlyStoreTests : ReadOnlyStoreConformanceTests
{
    protected override IStateBackend CreateBackend(string path, bool forReading) =>
        new SqliteStateBackend(new SqliteStateBackendOptions { Path = path, ReadOnly = forReading });

    protected override IReadOnlyList<string> DataFiles(string path) =>
        new[] { path, path + "-wal" }.Where(File.Exists).ToList();
}
