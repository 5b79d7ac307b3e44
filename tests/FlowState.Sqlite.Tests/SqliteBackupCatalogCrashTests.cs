using FlowState.Conformance;
using FlowState.Sqlite;

namespace FlowState.Sqlite.Tests;

/// <summary>The backup catalog under kill -9 on SQLite files.</summary>
public sealed class SqliteBackupCatalogCrashTests : BackupCatalogCrashConformanceTests
{
    protected override string HarnessBackend => "sqlite";

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);
}
