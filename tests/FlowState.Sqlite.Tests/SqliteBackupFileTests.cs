using Xunit;
using FlowState.Conformance;

namespace FlowState.Sqlite.Tests;

/// <summary>The backup suite on SQLite files, and restore's refusal of files that are not backups.</summary>
public sealed class SqliteBackupFileTests : BackupFileConformanceTests
{
    protected override string HarnessBackend => "sqlite";

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);

    protected override IStateBackend CreateBackend(string path, TimeProvider time) =>
        new SqliteStateBackend(new SqliteStateBackendOptions { Path = path, TimeProvider = time });

    protected override StateBackupInfo VerifyBackup(string path) => SqliteStateBackend.VerifyBackup(path);

    protected override void CutShort(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(file.Length / 2);
    }

    [Fact]
    public void A_foreign_SQLite_database_is_not_a_backup()
    {
        var path = Directory.File("customers.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER, name TEXT); INSERT INTO customers VALUES (1, 'ada');";
            command.ExecuteNonQuery();
        }

        var before = File.ReadAllBytes(path);

        var error = Assert.Throws<StateCorruptedException>(() => SqliteStateBackend.VerifyBackup(path));

        Assert.Contains("holds no FlowState backup record", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }
}
