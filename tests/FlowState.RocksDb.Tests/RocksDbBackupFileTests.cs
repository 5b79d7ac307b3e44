using FlowState.Conformance;

namespace FlowState.RocksDb.Tests;

/// <summary>The backup suite on RocksDB directories.</summary>
public sealed class RocksDbBackupFileTests : BackupFileConformanceTests
{
    protected override string HarnessBackend => "rocksdb";

    protected override IStateBackend CreateBackend(string path) => new RocksDbStateBackend(path);

    protected override IStateBackend CreateBackend(string path, TimeProvider time) =>
        new RocksDbStateBackend(new RocksDbStateBackendOptions { Path = path, TimeProvider = time });

    protected override StateBackupInfo VerifyBackup(string path) => RocksDbStateBackend.VerifyBackup(path);

    protected override void CutShort(string path)
    {
        var largest = new DirectoryInfo(path).EnumerateFiles().Where(f => f.Name != "FLOWSTATE-BACKUP").MaxBy(f => f.Length)!;
        using var file = new FileStream(largest.FullName, FileMode.Open, FileAccess.Write);
        file.SetLength(file.Length / 2);
    }
}
