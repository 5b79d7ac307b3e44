using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>A SQLite file on a full disk.</summary>
public sealed class SqliteDiskFullTests : DiskFullConformanceTests
{
    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);

    protected override void CopyStorage(string source, string destination) => SqliteCorruptionTests.CopyFiles(source, destination);
}
