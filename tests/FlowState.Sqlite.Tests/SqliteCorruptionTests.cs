using FlowState.Conformance;
using Xunit.Abstractions;

namespace FlowState.Sqlite.Tests;

/// <summary>The corruption corpus on a SQLite file and its WAL and shared-memory index.</summary>
public sealed class SqliteCorruptionTests(ITestOutputHelper output) : CorruptionConformanceTests(output)
{
    private static readonly string[] Suffixes = [string.Empty, "-wal", "-shm", ".flowstate-log-0", ".flowstate-log-1"];

    protected override IStateBackend CreateBackend(string path) => new SqliteStateBackend(path);

    protected override IReadOnlyList<string> DataFiles(string path) =>
        Suffixes.Select(suffix => path + suffix).Where(File.Exists).ToList();

    protected override bool IsEmptyStorageWhenTruncatedToZero(string file) => !file.EndsWith("-wal", StringComparison.Ordinal) && !file.EndsWith("-shm", StringComparison.Ordinal);

    protected override void CopyStorage(string source, string destination) => CopyFiles(source, destination);

    /// <summary>Copies a store's files; without <paramref name="withLog"/>, not FlowState's write-ahead log files.</summary>
    internal static void CopyFiles(string source, string destination, bool withLog = true)
    {
        foreach (var suffix in Suffixes)
        {
            if ((withLog || !suffix.StartsWith(".flowstate-log", StringComparison.Ordinal)) && File.Exists(source + suffix))
            {
                File.Copy(source + suffix, destination + suffix);
            }
        }
    }
}
