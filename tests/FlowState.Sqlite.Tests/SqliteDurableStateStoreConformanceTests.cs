using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The durability suite (reopen, versions, TTL, group commit) on real SQLite files.</summary>
public sealed class SqliteDurableStateStoreConformanceTests : DurableStateStoreConformanceTests
{
    private readonly TemporaryDirectory _directory = new();

    protected override IStateBackend CreateBackend(string storage) => new SqliteStateBackend(_directory.File(storage + ".db"));

    protected override IStateBackend CreateBackendAt(string path) => new SqliteStateBackend(path);

    protected override string BackupPath(string name) => _directory.File(name + ".backup.db");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}
