using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>
/// The SIGKILL crash test on a SQLite file whose write-ahead log is sealed and folded every eight changes, so that the
/// kills land while a file is sealed, folded into the database, or written over in its next turn.
/// </summary>
public sealed class SqliteFrequentFoldsCrashRecoveryTests : CrashRecoveryConformanceTests
{
    protected override string HarnessBackend => "sqlite-frequent-folds";

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(new SqliteStateBackendOptions { Path = path, FoldThreshold = 8 });
}
